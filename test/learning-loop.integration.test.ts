// The whole learning loop on loopback, every part real: a call goes through `lazyload forwarder`
// (its own process, started as the Deployment starts it) to an upstream server; a real Prometheus
// scrapes the forwarder's /metrics; the hook server's next sync of the calling fence learns the
// called Service from that metric alone, with no Istio telemetry anywhere.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnLazyload } from './support/cli.js';
import { fenceSyncRequest, sidecarHosts } from './support/fence-request.js';
import { type LearningHooks, type RunningPrometheus, freePort, startLearningHooks, startPrometheus, waitFor } from './support/prometheus.js';

const REVIEWS = 'reviews.default.svc.cluster.local';

let dir: string;
let upstream: Server;
let upstreamPort: number;
let forwarder: ChildProcess;
let forwarderExit: Promise<number | null>;
let wormholePort: number;
let probePort: number;
let prometheus: RunningPrometheus;
let learning: LearningHooks;

beforeAll(async () => {
  upstream = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`reviews saw ${req.headers.host}\n`));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;

  dir = mkdtempSync(join(tmpdir(), 'lazyload-loop-'));
  [wormholePort, probePort] = [await freePort(), await freePort()];
  // What the lazyloadconfig hook writes into the global sidecar's ConfigMap.
  writeFileSync(join(dir, 'cfg'), `wormholePorts:\n- ${wormholePort}\n`);
  forwarder = spawnLazyload(['forwarder'], {
    env: { ...process.env, WORMHOLE_PORTS_FILE: join(dir, 'cfg'), PROBE_PORT: String(probePort), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  forwarderExit = new Promise((r) => forwarder.once('exit', (code) => r(code)));
  await waitFor('the forwarder to be ready', async () => ((await fetch(`http://127.0.0.1:${probePort}/healthz/ready`)).ok ? true : undefined), 20_000);

  prometheus = await startPrometheus({ targets: [`127.0.0.1:${probePort}`] });
  learning = await startLearningHooks(prometheus.url);
}, 45_000);

afterAll(async () => {
  await learning?.close();
  await prometheus?.dispose();
  if (forwarder && forwarder.exitCode === null) forwarder.kill('SIGKILL');
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The fence's workload label differs from its name: the forwarder's series are keyed by fence.
const productpage = (status?: Record<string, unknown>) =>
  fenceSyncRequest({ name: 'productpage', labels: { app: 'productpage-v1' }, status, prometheus: { refreshSeconds: 1 } });

async function sync(status?: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${learning.hooks.url}/servicefence/sync`, { method: 'POST', body: JSON.stringify(productpage(status)) });
  expect(res.status).toBe(200);
  return res.json();
}

describe('the learning loop: forwarder → Prometheus → servicefence sync', () => {
  it('learns a dependency from its first call through the forwarder', async () => {
    const before = await sync();
    expect(sidecarHosts(before)).not.toContain(`*/${REVIEWS}`);

    // What a fenced proxy sends for `curl http://reviews:9080/` that its Sidecar did not know.
    const res = await request(`http://127.0.0.1:${wormholePort}/ratings?id=1`, {
      headers: {
        host: 'reviews',
        'slime-orig-dest': `127.0.0.1:${upstreamPort}`,
        'slime-source-ns': 'default',
        'slime-source-fence': 'productpage',
      },
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('reviews saw reviews.default\n');

    let status = before.status;
    const learned = await waitFor(
      'the fence to learn reviews from the forwarder',
      async () => {
        const answer = await sync(status);
        status = answer.status;
        return sidecarHosts(answer)?.includes(`*/${REVIEWS}`) ? answer : undefined;
      },
      30_000,
      250,
    );
    expect(learned.status.metricStatus).toEqual({ [`{destination_service="${REVIEWS}"}`]: '1' });
    expect(learned.status.domains[REVIEWS]).toMatchObject({ hosts: [REVIEWS], status: 'ACTIVE' });
  }, 45_000);

  it('stops on SIGTERM after draining, with exit code 0', async () => {
    forwarder.kill('SIGTERM');
    // Unready at once, so the Service stops sending before the listeners close.
    await waitFor('the forwarder to turn unready', async () => ((await fetch(`http://127.0.0.1:${probePort}/healthz/ready`)).status === 503 ? true : undefined), 4_000, 50);
    expect(await forwarderExit).toBe(0);
  }, 20_000);
});
