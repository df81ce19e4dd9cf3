// The forwarder's decisions without sockets: where a request goes, what is sent, whom it credits;
// the ports file; telling `name.ns` Services from external names.
import { describe, expect, it } from 'vitest';
import { destinationOf, parseAuthority } from '../src/forwarder/destination.js';
import { clusterNames } from '../src/forwarder/names.js';
import { type Arrived, type Plan, VIA, planForward } from '../src/forwarder/plan.js';
import { parsePortsFile } from '../src/forwarder/ports.js';

const FENCED = ['Slime-Orig-Dest', '10.96.0.7:9080', 'Slime-Source-Ns', 'default', 'Slime-Source-Fence', 'productpage'];

const arrive = (rawHeaders: string[], o: Partial<Arrived> = {}): Arrived => ({ method: 'GET', url: '/', rawHeaders, listenPort: 9080, upgrade: false, ...o });

function plan(rawHeaders: string[], o: Partial<Arrived> = {}): Plan {
  const p = planForward(arrive(rawHeaders, o));
  if ('status' in p) throw new Error(`refused: ${p.message}`);
  return p;
}

function refusal(rawHeaders: string[], o: Partial<Arrived> = {}): string {
  const p = planForward(arrive(rawHeaders, o));
  if (!('status' in p)) throw new Error(`forwarded to ${p.to.host}:${p.to.port}`);
  expect(p.status).toBe(400);
  return p.message;
}

describe('where a request goes', () => {
  it('connects to Slime-Orig-Dest, whatever the Host says', () => {
    expect(plan(['Host', 'reviews', ...FENCED]).to).toEqual({ host: '10.96.0.7', port: 9080 });
  });

  it('uses the listening port for a Slime-Orig-Dest without one', () => {
    expect(plan(['Host', 'reviews', 'Slime-Orig-Dest', '10.96.0.7'], { listenPort: 80 }).to).toEqual({ host: '10.96.0.7', port: 80 });
  });

  it('reads an IPv6 Slime-Orig-Dest in brackets', () => {
    expect(plan(['Host', 'reviews', 'Slime-Orig-Dest', '[fd00::7]:9080']).to).toEqual({ host: 'fd00::7', port: 9080 });
  });

  it.each(['reviews:9080', '10.96.0.7:http', '10.96.0.7:70000', '10.96.0.7:', '[fd00::7', ' '])('refuses Slime-Orig-Dest %j with a message naming it', (value) => {
    expect(refusal(['Host', 'reviews', 'Slime-Orig-Dest', value])).toMatch(/^invalid header Slime-Orig-Dest /);
  });

  it('connects to the Host when there is no Slime-Orig-Dest, at its port', () => {
    expect(plan(['Host', 'ratings.prod:8080']).to).toEqual({ host: 'ratings.prod', port: 8080 });
  });

  it('connects to the Host at the listening port when it names none', () => {
    expect(plan(['Host', 'ratings.prod'], { listenPort: 9080 }).to).toEqual({ host: 'ratings.prod', port: 9080 });
  });

  it('connects to a dot-less Host in the caller namespace', () => {
    expect(plan(['Host', 'ratings', 'Slime-Source-Ns', 'shop']).to).toEqual({ host: 'ratings.shop', port: 9080 });
  });

  it('takes the authority of an absolute-form target over the Host header', () => {
    const p = plan(['Host', 'other'], { url: 'http://ratings.prod:8080/x?y=1' });
    expect(p.to).toEqual({ host: 'ratings.prod', port: 8080 });
    expect(p.path).toBe('/x?y=1');
    expect(p.headers).toEqual(['Host', 'ratings.prod:8080', 'Via', VIA]);
  });

  it('refuses a request with neither Slime-Orig-Dest nor Host', () => {
    expect(refusal([])).toBe('no destination: the request has neither a Slime-Orig-Dest nor a Host header');
  });

  it('refuses two Host headers', () => {
    expect(refusal(['Host', 'a', 'Host', 'b'])).toBe('more than one Host header');
  });

  it.each(['a b', 'a/b', 'reviews:x', '[::1'])('refuses the malformed Host %j', (host) => {
    expect(refusal(['Host', host])).toMatch(/^invalid Host /);
  });

  it('refuses targets it cannot forward (https, asterisk-form)', () => {
    expect(refusal(['Host', 'a'], { url: 'https://a/' })).toMatch(/^cannot forward the request target/);
    expect(refusal(['Host', 'a'], { method: 'OPTIONS', url: '*' })).toMatch(/^cannot forward the request target/);
  });

  it('refuses a Slime-Source-Ns that is not a namespace, rather than build a host from it', () => {
    expect(refusal(['Host', 'reviews', 'Slime-Source-Ns', 'Bad_NS'])).toMatch(/^invalid header Slime-Source-Ns /);
  });
});

describe('what is sent upstream', () => {
  it('removes every Slime-* header and keeps the others in order', () => {
    const p = plan(['Host', 'reviews.default', 'Accept', 'a/b', 'slime-custom', 'x', ...FENCED, 'X-Multi', '1', 'X-Multi', '2']);
    expect(p.headers).toEqual(['Host', 'reviews.default', 'Accept', 'a/b', 'X-Multi', '1', 'X-Multi', '2', 'Via', VIA]);
  });

  it('completes a dot-less Host with the caller namespace, keeping its port', () => {
    expect(plan(['Host', 'reviews:9080', ...FENCED]).headers).toEqual(['Host', 'reviews.default:9080', 'Via', VIA]);
  });

  it('leaves a Host with a dot as it came', () => {
    expect(plan(['Host', 'Reviews.Other:9080', ...FENCED]).headers).toEqual(['Host', 'Reviews.Other:9080', 'Via', VIA]);
  });

  it('leaves a dot-less Host alone when the caller namespace is unknown', () => {
    expect(plan(['Host', 'reviews']).headers).toEqual(['Host', 'reviews', 'Via', VIA]);
  });

  it('drops hop-by-hop headers, those named in Connection included', () => {
    const p = plan(['Host', 'a.b', 'Connection', 'keep-alive, X-Hop', 'Keep-Alive', 'timeout=5', 'X-Hop', '1', 'Proxy-Connection', 'x', 'Transfer-Encoding', 'chunked', 'Expect', '100-continue', 'X-End', '2']);
    expect(p.headers).toEqual(['Host', 'a.b', 'X-End', '2', 'Via', VIA]);
  });

  it('keeps `te: trailers` and nothing else of TE', () => {
    expect(plan(['Host', 'a.b', 'TE', 'gzip, trailers']).headers).toEqual(['Host', 'a.b', 'TE', 'trailers', 'Via', VIA]);
    expect(plan(['Host', 'a.b', 'TE', 'gzip']).headers).toEqual(['Host', 'a.b', 'Via', VIA]);
  });

  it('keeps Connection and Upgrade of an Upgrade request, which is tunnelled whole', () => {
    const p = plan(['Host', 'a.b', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], { upgrade: true });
    expect(p.headers).toEqual(['Host', 'a.b', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k', 'Via', VIA]);
  });

  it('adds itself to Via, after the hops already there', () => {
    expect(plan(['Host', 'a.b', 'Via', '1.1 envoy']).headers).toEqual(['Host', 'a.b', 'Via', '1.1 envoy', 'Via', VIA]);
  });

  it('refuses with 508 a request that already came through a forwarder (a loop)', () => {
    const p = planForward(arrive(['Host', 'global-sidecar.mesh-operator', 'Via', `1.0 fred, ${VIA}`]));
    expect(p).toMatchObject({ status: 508, message: expect.stringMatching(/a loop/) });
  });

  it('sends the path and query exactly as they came', () => {
    expect(plan(['Host', 'a.b'], { url: '/a%20b/../c?x=1&x=2&y' }).path).toBe('/a%20b/../c?x=1&x=2&y');
  });
});

describe('whom a call is credited to', () => {
  it('credits the fence of Slime-Source-Ns and Slime-Source-Fence', () => {
    expect(plan(['Host', 'reviews', ...FENCED]).source).toEqual({ namespace: 'default', fence: 'productpage' });
  });

  it('credits nobody without Slime-Source-Fence', () => {
    const p = plan(['Host', 'reviews', 'Slime-Source-Ns', 'default']);
    expect(p.source).toBeUndefined();
    expect(p.destination).toBeUndefined();
  });

  it('counts a dot-less host as a Service of the caller namespace', () => {
    expect(plan(['Host', 'reviews:9080', ...FENCED]).destination).toEqual({ kind: 'host', name: 'reviews.default.svc.cluster.local' });
  });

  it('counts nothing for a request addressed by IP only', () => {
    expect(plan(['Host', '10.96.0.7:9080', ...FENCED]).destination).toBeUndefined();
    expect(plan([...FENCED]).destination).toBeUndefined();
  });
});

describe('the destination a metric names', () => {
  it.each([
    ['reviews', 'reviews.shop.svc.cluster.local'],
    ['reviews.default.svc', 'reviews.default.svc.cluster.local'],
    ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local'],
    ['Reviews.Default.SVC.cluster.local.', 'reviews.default.svc.cluster.local'],
    ['api.example.com', 'api.example.com'],
  ])('names %s as %s', (host, name) => {
    expect(destinationOf(host, 'shop')).toEqual({ kind: 'host', name });
  });

  it('leaves `name.ns` to cluster DNS', () => {
    expect(destinationOf('reviews.default', 'shop')).toEqual({ kind: 'ambiguous', name: 'reviews.default', service: 'reviews.default.svc.cluster.local' });
  });

  it.each(['10.0.0.1', 'fd00::1'])('counts no IP literal (%s)', (ip) => {
    expect(destinationOf(ip, 'shop')).toBeUndefined();
  });

  it('reads the authority forms a Host header takes', () => {
    expect(parseAuthority('a.b:80')).toEqual({ host: 'a.b', port: 80 });
    expect(parseAuthority('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseAuthority('[::1]')).toEqual({ host: '::1' });
    expect(parseAuthority('a.b:0')).toBeUndefined();
  });
});

describe('telling `name.ns` Services from external names', () => {
  const ambiguous = (name: string) => ({ kind: 'ambiguous' as const, name, service: `${name}.svc.cluster.local` });

  it('names a Service cluster DNS knows by its FQDN, and an unknown name as called', async () => {
    const names = clusterNames(async (fqdn) => fqdn === 'reviews.default.svc.cluster.local');
    expect(await names.nameOf(ambiguous('reviews.default'))).toBe('reviews.default.svc.cluster.local');
    expect(await names.nameOf(ambiguous('example.com'))).toBe('example.com');
  });

  it('asks DNS once for many calls, concurrent ones included', async () => {
    const asked: string[] = [];
    const names = clusterNames(async (fqdn) => (asked.push(fqdn), true));
    await Promise.all([1, 2, 3].map(() => names.nameOf(ambiguous('reviews.default'))));
    await names.nameOf(ambiguous('reviews.default'));
    expect(asked).toEqual(['reviews.default.svc.cluster.local']);
  });

  it('asks again after a miss has aged a minute, so a new Service is found', async () => {
    let now = 0;
    let exists = false;
    const names = clusterNames(async () => exists, () => now);
    expect(await names.nameOf(ambiguous('reviews.default'))).toBe('reviews.default');
    exists = true;
    now = 30_000;
    expect(await names.nameOf(ambiguous('reviews.default'))).toBe('reviews.default');
    now = 61_000;
    expect(await names.nameOf(ambiguous('reviews.default'))).toBe('reviews.default.svc.cluster.local');
  });

  it('counts the name as called when DNS fails, and asks again next time', async () => {
    let calls = 0;
    const names = clusterNames(async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('timeout'), { code: 'ETIMEOUT' });
      return true;
    });
    expect(await names.nameOf(ambiguous('reviews.default'))).toBe('reviews.default');
    expect(await names.nameOf(ambiguous('reviews.default'))).toBe('reviews.default.svc.cluster.local');
  });
});

describe('the ports file', () => {
  it('reads the list the lazyloadconfig hook writes, sorted and de-duplicated', () => {
    expect(parsePortsFile('wormholePorts:\n- 9080\n- 80\n- 9080\n')).toEqual({ ok: true, ports: [80, 9080] });
  });

  it("reads Slime's string ports too", () => {
    expect(parsePortsFile('wormholePorts: ["80", 9080]')).toEqual({ ok: true, ports: [80, 9080] });
  });

  it('reads an empty list as no ports', () => {
    expect(parsePortsFile('wormholePorts: []')).toEqual({ ok: true, ports: [] });
  });

  it.each([
    ['', 'the file is empty'],
    ['ports: [80]', 'no wormholePorts list'],
    ['wormholePorts: 80', 'wormholePorts is not a list'],
    ['wormholePorts: [80, 0]', 'wormholePorts[1]: 0 is not a port (1-65535)'],
    ['wormholePorts: [http]', 'wormholePorts[0]: "http" is not a port (1-65535)'],
    ['wormholePorts: [80', /^not YAML: /],
  ])('refuses %j', (text, message) => {
    const r = parsePortsFile(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});
