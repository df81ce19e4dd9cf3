// `window` against a real Prometheus holding two hours of backfilled history (promtool), so what
// counts as "called within the window" is exact rather than a race with the scraper.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import { type ConnectedSource, connectPrometheus } from '../src/prometheus/index.js';
import client from 'prom-client';
import { type RunningPrometheus, startPrometheus } from './support/prometheus.js';

const svc = (name: string) => `${name}.default.svc.cluster.local`;
const web = { namespace: 'default', app: 'web', fence: 'web' };

/** A counter from `web` to `to`, sampled every minute over the last two hours, rising only while `rising(minutesAgo)`. */
function history(now: number, to: string, rising: (minutesAgo: number) => boolean, untilMinutesAgo = 1): string {
  let value = 0;
  let out = '';
  for (let ago = 120; ago >= untilMinutesAgo; ago--) {
    if (rising(ago)) value += 5;
    out += `istio_requests_total{reporter="destination",source_workload_namespace="default",source_app="web",destination_service="${svc(to)}"} ${value} ${now - ago * 60}\n`;
  }
  return out;
}

let prometheus: RunningPrometheus;
let source: ConnectedSource;

beforeAll(async () => {
  const now = Math.floor(Date.now() / 1000);
  const backfill =
    '# TYPE istio_requests counter\n' +
    history(now, 'recent', () => true) +
    history(now, 'earlier', (ago) => ago > 90) +
    history(now, 'gone', () => true, 30) +
    '# EOF\n';
  prometheus = await startPrometheus({ backfill });
  source = connectPrometheus(prometheus.url, new client.Registry(), silentLogger);
}, 30_000);

afterAll(async () => {
  await source?.close();
  await prometheus?.dispose();
});

const learn = (prometheusConfig: Record<string, unknown>) => source.source.learn(web, { prometheus: { refreshSeconds: 15, timeoutSeconds: 2, handlers: [], ...prometheusConfig } });

describe('the window', () => {
  it('learns what was called within the last hour when window is 1h, even if no longer reported', async () => {
    // `earlier` is still reported but has not risen for 90 minutes; `gone` rose until it vanished 30 minutes ago.
    expect(await learn({ window: '1h' })).toMatchObject({ kind: 'answered', hosts: [svc('gone'), svc('recent')] });
  });

  it('learns every series Prometheus still reports without a window, however idle', async () => {
    // `gone` stopped being reported 30 minutes ago: past Prometheus's 5-minute lookback, so absent.
    expect(await learn({})).toMatchObject({ kind: 'answered', hosts: [svc('earlier'), svc('recent')] });
  });

  it('learns what was called in the last two hours when window is 2h', async () => {
    expect(await learn({ window: '2h' })).toMatchObject({ kind: 'answered', hosts: [svc('earlier'), svc('gone'), svc('recent')] });
  });
});
