// The forwarder's forwarding over real loopback sockets: where a call goes, what the upstream sees,
// bodies both ways, keep-alive, failures, and Upgrade tunnels (docs/design.md §11).
import { createHash, randomBytes } from 'node:crypto';
import { Agent, type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fileClosers,
  type TestForwarder,
  type Upstream,
  echo,
  freePort,
  pairs,
  send,
  sendRaw,
  startTcpUpstream,
  startTestForwarder,
  startUpstream,
  waitFor,
} from './support/forwarder.js';

const { perFile, perTest } = fileClosers();

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const to = (u: { address: string }): [string, string] => ['Slime-Orig-Dest', u.address];
const seenBy = (r: { text: string }) => JSON.parse(r.text) as { method: string; url: string; rawHeaders: string[]; body: string };

/** Writes `total` bytes as fast as `out` takes them, then ends it; `progress` gets the count so far. */
function writeAll(out: { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown; end(): unknown }, total: number, progress: (n: number) => void): void {
  const piece = Buffer.alloc(64 * 1024, 'x');
  let written = 0;
  const pump = () => {
    while (written < total) {
      written += piece.length;
      progress(written);
      if (!out.write(piece)) return void out.once('drain', pump);
    }
    out.end();
  };
  pump();
}

/** A byte count once it has stopped growing (the same over several polls). */
async function settled(read: () => number): Promise<number> {
  const deadline = Date.now() + 20_000;
  let last = -1;
  let same = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = read();
    if (now === last && ++same >= 3) return now;
    if (now !== last) [last, same] = [now, 0];
  }
  return read();
}

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  perTest.add(() => agent.destroy());
  return agent;
}

let fwd: TestForwarder;
beforeAll(async () => {
  fwd = await startTestForwarder(perFile);
});

describe('where a call goes', () => {
  it('dials Slime-Orig-Dest rather than the Host', async () => {
    const meant = await startUpstream(perTest);
    const byHost = await startUpstream(perTest);
    const r = await send(fwd.port, { headers: [['Host', byHost.address], to(meant)] });
    expect(r.status).toBe(200);
    expect(meant.seen).toHaveLength(1);
    expect(byHost.seen).toHaveLength(0);
  });

  it('dials the port the call came in on when Slime-Orig-Dest has no port', async () => {
    // The same port number as the wormhole port, on another loopback address.
    const u = await startUpstream(perTest, echo, { host: '127.0.0.2', port: fwd.port });
    const r = await send(fwd.port, { headers: [['Host', 'reviews'], ['Slime-Orig-Dest', '127.0.0.2']] });
    expect(r.status).toBe(200);
    expect(u.seen).toHaveLength(1);
  });

  it('dials an IPv6 Slime-Orig-Dest written [v6]:port (the machine needs IPv6 loopback)', async () => {
    const u = await startUpstream(perTest, echo, { host: '::1' });
    const r = await send(fwd.port, { headers: [['Host', 'reviews'], ['Slime-Orig-Dest', `[::1]:${u.port}`]] });
    expect(r.status).toBe(200);
    expect(u.seen).toHaveLength(1);
  });

  it('dials the Host when there is no Slime-Orig-Dest', async () => {
    const u = await startUpstream(perTest);
    const r = await send(fwd.port, { headers: [['Host', u.address]] });
    expect(r.status).toBe(200);
    expect(u.seen).toHaveLength(1);
    expect(u.seen[0].headers.host).toBe(u.address);
  });

  it('dials the port the call came in on when the Host has no port', async () => {
    const u = await startUpstream(perTest, echo, { host: '127.0.0.2', port: fwd.port });
    const r = await send(fwd.port, { headers: [['Host', '127.0.0.2']] });
    expect(r.status).toBe(200);
    expect(u.seen).toHaveLength(1);
  });

  it('dials the authority of an absolute-form request target, which overrides the Host', async () => {
    const u = await startUpstream(perTest);
    const answer = await sendRaw(fwd.port, `GET http://${u.address}/x?y=1 HTTP/1.1\r\nHost: nowhere.invalid\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(u.seen.map((s) => [s.url, s.headers.host])).toEqual([['/x?y=1', u.address]]);
  });

  it('refuses an invalid Slime-Orig-Dest with 400 and a text naming the header', async () => {
    const u = await startUpstream(perTest);
    const r = await send(fwd.port, { headers: [['Host', u.address], ['Slime-Orig-Dest', 'reviews:9080']] });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text).toContain('Slime-Orig-Dest');
    expect(u.seen).toHaveLength(0);
  });

  it('refuses an invalid Slime-Source-Ns with 400 and a text naming the header', async () => {
    const u = await startUpstream(perTest);
    const r = await send(fwd.port, { headers: [['Host', 'reviews'], to(u), ['Slime-Source-Ns', 'Not_A_Namespace']] });
    expect(r.status).toBe(400);
    expect(r.text).toContain('Slime-Source-Ns');
    expect(u.seen).toHaveLength(0);
  });

  it('refuses a request with two Host headers with 400', async () => {
    const u = await startUpstream(perTest);
    const r = await send(fwd.port, { headers: [['Host', u.address], ['Host', 'other:80']] });
    expect(r.status).toBe(400);
    expect(u.seen).toHaveLength(0);
  });

  it.each(['GET https://reviews.default/ HTTP/1.1', 'OPTIONS * HTTP/1.1'])('refuses the request target of %s with 400', async (line) => {
    const answer = await sendRaw(fwd.port, `${line}\r\nHost: reviews.default\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('lazyload forwarder:');
  });

  it('refuses a request that already came through a forwarder with 508, not calling itself again', async () => {
    const u = await startUpstream(perTest);
    const r = await send(fwd.port, { headers: [['Host', u.address], ['Via', '1.1 envoy, 1.1 lazyload']] });
    expect(r.status).toBe(508);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(u.seen).toHaveLength(0);
  });

  it('answers a call addressed to the forwarder itself once, with 508', async () => {
    const r = await send(fwd.port, { headers: [['Host', `127.0.0.1:${fwd.port}`]] });
    expect(r.status).toBe(508);
  });

  it('refuses a request with neither Host nor Slime-Orig-Dest with 400', async () => {
    const answer = await sendRaw(fwd.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.[01] 400 /);
    expect(answer).toMatch(/Host/);
  });
});

describe('what the upstream sees', () => {
  it('gets no Slime-* header', async () => {
    const u = await startUpstream(perTest);
    const r = await send(fwd.port, {
      headers: [['Host', 'reviews:9080'], to(u), ['Slime-Source-Ns', 'default'], ['Slime-Source-Fence', 'productpage'], ['slime-something-else', 'x']],
    });
    expect(r.status).toBe(200);
    expect(pairs(u.seen[0].rawHeaders).filter(([name]) => name.startsWith('slime-'))).toEqual([]);
  });

  it("gets a dot-less Host completed with the caller's namespace, port kept", async () => {
    const u = await startUpstream(perTest);
    await send(fwd.port, { headers: [['Host', 'reviews:9080'], to(u), ['Slime-Source-Ns', 'default']] });
    expect(u.seen[0].headers.host).toBe('reviews.default:9080');
  });

  it('gets a Host that has a dot unchanged', async () => {
    const u = await startUpstream(perTest);
    await send(fwd.port, { headers: [['Host', 'reviews.other:9080'], to(u), ['Slime-Source-Ns', 'default']] });
    expect(u.seen[0].headers.host).toBe('reviews.other:9080');
  });

  it('gets the other request headers with their values, a repeated header as separate lines in order', async () => {
    const u = await startUpstream(perTest);
    const others: [string, string][] = [
      ['Accept', 'text/plain, application/json;q=0.5'],
      ['X-Multi', 'one'],
      ['Authorization', 'Bearer abc.def'],
      ['X-Multi', 'two'],
      ['User-Agent', 'forwarder-test/1'],
      ['X-Request-Id', '4f1a'],
      ['Cookie', 'a=1; b=2'],
    ];
    await send(fwd.port, { headers: [['Host', u.address], ...others, to(u)] });
    // Besides them: Host, the connection's own Connection, and the forwarder's Via.
    const got = pairs(u.seen[0].rawHeaders).filter(([name]) => !['host', 'connection', 'via'].includes(name));
    const sent = others.map(([n, v]) => [n.toLowerCase(), v]);
    expect(got).toHaveLength(sent.length);
    expect(got).toEqual(expect.arrayContaining(sent));
    expect(got.filter(([n]) => n === 'x-multi').map(([, v]) => v)).toEqual(['one', 'two']);
  });

  it('gets no hop-by-hop header: none listed in Connection, no Keep-Alive, no Proxy-Connection', async () => {
    const u = await startUpstream(perTest);
    await send(fwd.port, {
      headers: [['Host', u.address], ['Connection', 'keep-alive, X-Hop'], ['X-Hop', 'secret'], ['Keep-Alive', 'timeout=30'], ['Proxy-Connection', 'keep-alive'], ['X-Kept', 'yes'], to(u)],
    });
    const got = pairs(u.seen[0].rawHeaders);
    const names = got.map(([n]) => n);
    expect(names).not.toContain('x-hop');
    expect(names).not.toContain('keep-alive');
    expect(names).not.toContain('proxy-connection');
    expect(got.filter(([n]) => n === 'connection').map(([, v]) => v.toLowerCase())).not.toContainEqual(expect.stringContaining('x-hop'));
    expect(u.seen[0].headers['x-kept']).toBe('yes');
  });

  it('gets no Proxy-Authorization, no request Trailer announcement, and TE only as trailers', async () => {
    const u = await startUpstream(perTest);
    // Raw: Node's own client will not send a Trailer header on a request it does not chunk.
    await sendRaw(fwd.port, `GET / HTTP/1.1\r\nHost: ${u.address}\r\nProxy-Authorization: Basic eDp5\r\nTrailer: X-Sum\r\nTE: gzip, trailers\r\nConnection: close\r\n\r\n`);
    const { headers } = u.seen[0];
    expect(headers['proxy-authorization']).toBeUndefined();
    expect(headers.trailer).toBeUndefined();
    expect(headers.te).toBe('trailers');
  });

  it('gets the body of an Expect: 100-continue request without the Expect', async () => {
    const u = await startUpstream(perTest);
    const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: fwd.port, method: 'POST', agent: false, headers: ['Host', u.address, 'Expect', '100-continue', 'Content-Length', '5'] });
      req.on('error', reject);
      req.on('continue', () => req.end('hello'));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
    });
    expect(r.status).toBe(200);
    expect(seenBy(r).body).toBe('hello');
    expect(u.seen[0].headers.expect).toBeUndefined();
  });

  it('gets the Via of earlier hops with the forwarder added', async () => {
    const u = await startUpstream(perTest);
    await send(fwd.port, { headers: [['Host', u.address], ['Via', '1.1 envoy'], to(u)] });
    expect(u.seen[0].headers.via).toBe('1.1 envoy, 1.1 lazyload');
  });

  it.each(['/a%20b/../c?x=1&x=2', '//double//slash/;p=1?q=%2F&q=&q', '/caf%C3%A9/?*'])('gets the method and the target %s byte for byte', async (path) => {
    const u = await startUpstream(perTest);
    const r = await send(fwd.port, { method: 'PATCH', path, headers: [['Host', u.address], ['Content-Length', '2']], body: '{}' });
    expect(r.status).toBe(200);
    expect(u.seen.map((s) => [s.method, s.url])).toEqual([['PATCH', path]]);
    expect(seenBy(r).body).toBe('{}');
  });
});

describe('what the client gets back', () => {
  it('gets the response headers, a repeated Set-Cookie as separate lines', async () => {
    const u = await startUpstream(perTest, (_req, res) => {
      res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
      res.setHeader('X-Answer', '42');
      res.end('ok');
    });
    const r = await send(fwd.port, { headers: [['Host', u.address]] });
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(r.headers['x-answer']).toBe('42');
    expect(r.text).toBe('ok');
  });

  it('gets no hop-by-hop response header the upstream listed in Connection', async () => {
    const u = await startUpstream(perTest, (_req, res) => {
      res.writeHead(200, { Connection: 'keep-alive, X-Resp-Hop', 'X-Resp-Hop': 'secret', 'Keep-Alive': 'timeout=5', 'Content-Length': '2' });
      res.end('ok');
    });
    const r = await send(fwd.port, { headers: [['Host', u.address]] });
    expect(r.status).toBe(200);
    expect(r.headers['x-resp-hop']).toBeUndefined();
    expect(r.headers['keep-alive']).toBeUndefined();
  });

  it('gets the status text the upstream gave', async () => {
    const u = await startUpstream(perTest, (_req, res) => {
      res.writeHead(418, 'Short And Stout');
      res.end();
    });
    const answer = await sendRaw(fwd.port, `GET / HTTP/1.1\r\nHost: ${u.address}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 418 Short And Stout\r\n/);
  });
});

describe('bodies', () => {
  it('streams a chunked request body to the upstream as it arrives, byte for byte', async () => {
    let received = Buffer.alloc(0);
    const u = await startUpstream(perTest, (req, res) => {
      req.on('data', (c: Buffer) => (received = Buffer.concat([received, c])));
      req.on('end', () => res.end(JSON.stringify({ te: req.headers['transfer-encoding'], sha: sha256(received) })));
    });
    const first = randomBytes(10_000);
    const second = randomBytes(70_000);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: fwd.port, method: 'POST', path: '/upload', agent: false, headers: ['Host', u.address, 'Transfer-Encoding', 'chunked'] });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.write(first);
      // The rest is sent only once the upstream has the first part: a forwarder that waited for the
      // whole body would never answer.
      waitFor('the first part upstream', async () => (received.length >= first.length ? true : undefined), 10_000, 20).then(
        () => req.end(second),
        (e: unknown) => req.destroy(e as Error),
      );
    });
    const r = await answer;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ te: 'chunked', sha: sha256(Buffer.concat([first, second])) });
  });

  it('carries a 32 MiB body each way intact', async () => {
    const up = randomBytes(32 * 1024 * 1024);
    const down = randomBytes(32 * 1024 * 1024);
    const u = await startUpstream(perTest, (req, res) => {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        length += c.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-length': down.length, 'x-request-sha256': hash.digest('hex'), 'x-request-length': length });
        res.end(down);
      });
    });
    const r = await send(fwd.port, { method: 'PUT', headers: [['Host', u.address], ['Content-Length', String(up.length)]], body: up });
    expect(r.status).toBe(200);
    expect(r.headers['x-request-length']).toBe(String(up.length));
    expect(r.headers['x-request-sha256']).toBe(sha256(up));
    expect(r.body.length).toBe(down.length);
    expect(sha256(r.body)).toBe(sha256(down));
  }, 60_000);

  it('holds back a fast upstream while the client does not read (back-pressure downstream)', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    const u = await startUpstream(perTest, (_req, res) => {
      res.writeHead(200, { 'content-length': total });
      writeAll(res, total, (n) => (written = n));
    });
    let reader: IncomingMessage | undefined;
    const done = send(fwd.port, { headers: [['Host', u.address]], onResponse: (res) => (reader = res) });
    // `send` reads at once; stop it before it does, and read nothing until the upstream has stalled.
    await waitFor('the response headers', async () => (reader ? true : undefined), 10_000, 10);
    reader!.pause();
    const stalledAt = await settled(() => written);
    expect(stalledAt).toBeLessThan(total / 2);
    reader!.resume();
    const r = await done;
    expect(r.body.length).toBe(total);
  }, 60_000);

  it('holds back a fast client while the upstream does not read (back-pressure upstream)', async () => {
    const total = 64 * 1024 * 1024;
    const held: IncomingMessage[] = [];
    const u = await startUpstream(perTest, (req, res) => {
      held.push(req);
      let length = 0;
      req.on('data', (c: Buffer) => (length += c.length));
      req.on('end', () => res.end(String(length)));
      req.pause();
    });
    let sent = 0;
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: fwd.port, method: 'PUT', agent: false, headers: ['Host', u.address, 'Content-Length', String(total)] });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      writeAll(req, total, (n) => (sent = n));
    });
    await waitFor('the request upstream', async () => (held.length === 1 ? true : undefined), 10_000, 10);
    const stalledAt = await settled(() => sent);
    expect(stalledAt).toBeLessThan(total / 2);
    held[0].resume();
    const r = await answer;
    expect(r.status).toBe(200);
    expect(r.text).toBe(String(total));
  }, 60_000);

  it('passes response trailers to the client', async () => {
    const u = await startUpstream(perTest, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', Trailer: 'X-Checksum' });
      res.write('some ');
      res.write('data');
      res.addTrailers({ 'X-Checksum': 'c0ffee' });
      res.end();
    });
    const r = await send(fwd.port, { headers: [['Host', u.address], ['TE', 'trailers']] });
    expect(r.status).toBe(200);
    expect(r.text).toBe('some data');
    expect(r.trailers).toEqual({ 'x-checksum': 'c0ffee' });
  });

  // Node refuses to write a Trailer header on a response it does not send chunked; the upstream's
  // answer is still good, only its trailer announcement cannot be passed on.
  it.each([
    ['a HEAD', 'HEAD', '1.1', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTrailer: X-Checksum\r\nContent-Length: 4\r\n\r\n', ''],
    ['a Content-Length response', 'GET', '1.1', 'HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\nContent-Length: 4\r\n\r\ndata', 'data'],
    ['a chunked response to an HTTP/1.0 client', 'GET', '1.0', 'HTTP/1.1 200 OK\r\nTrailer: X-Checksum\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\nX-Checksum: c0ffee\r\n\r\n', 'data'],
  ])('passes on %s whose upstream announces trailers', async (_what, method, version, response, body) => {
    const u = await startTcpUpstream(perTest, (s) => s.on('data', () => s.write(response)));
    const answer = await sendRaw(fwd.port, `${method} / HTTP/${version}\r\nHost: reviews\r\nSlime-Orig-Dest: ${u.address}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe(body);
  });

  it('answers HEAD with the headers and no body, and the connection stays usable', async () => {
    const u = await startUpstream(perTest, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1234' });
      res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(1234));
    });
    const agent = keepAliveAgent();
    const head = await send(fwd.port, { method: 'HEAD', headers: [['Host', u.address]], agent });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('1234');
    expect(head.body.length).toBe(0);
    const get = await send(fwd.port, { headers: [['Host', u.address]], agent });
    expect(get.status).toBe(200);
    expect(get.body.length).toBe(1234);
    expect(get.reusedSocket).toBe(true);
  });

  it.each([
    [204, {}],
    [304, { etag: '"v1"' }],
  ])('passes a bodiless %i on, and the connection stays usable', async (status, headers) => {
    const u = await startUpstream(perTest, (req, res) => {
      if (req.url === '/next') return void res.end('next');
      res.writeHead(status, headers);
      res.end();
    });
    const agent = keepAliveAgent();
    const r = await send(fwd.port, { headers: [['Host', u.address], ['If-None-Match', '"v1"']], agent });
    expect(r.status).toBe(status);
    expect(r.body.length).toBe(0);
    if (status === 304) expect(r.headers.etag).toBe('"v1"');
    const next = await send(fwd.port, { path: '/next', headers: [['Host', u.address]], agent });
    expect(next.text).toBe('next');
    expect(next.reusedSocket).toBe(true);
  });
});

describe('keep-alive', () => {
  it('serves 50 sequential requests on one client connection over one pooled upstream connection', async () => {
    const u = await startUpstream(perTest, (req, res) => res.end(req.url));
    const agent = keepAliveAgent();
    const sockets = new Set<Socket>();
    for (let i = 0; i < 50; i++) {
      const r = await send(fwd.port, { path: `/call/${i}`, headers: [['Host', u.address]], agent });
      expect(r.status).toBe(200);
      expect(r.text).toBe(`/call/${i}`);
      if (r.socket) sockets.add(r.socket);
    }
    expect(sockets.size).toBe(1);
    expect(u.seen).toHaveLength(50);
    expect(u.connections).toBe(1);
  });
});

describe('failures', () => {
  // Its own forwarder: a short upstream timeout.
  const TIMEOUT_MS = 1_500;
  let f: TestForwarder;
  let healthy: Upstream;
  beforeAll(async () => {
    f = await startTestForwarder(perFile, { upstreamTimeoutMs: TIMEOUT_MS, connectTimeoutMs: 2_000 });
    healthy = await startUpstream(perFile);
  });
  const stillServes = async () => {
    const r = await send(f.port, { headers: [['Host', healthy.address]] });
    expect(r.status).toBe(200);
  };

  it('answers 502 with a short text when the upstream refuses the connection', async () => {
    const closed = await freePort();
    const r = await send(f.port, { headers: [['Host', 'reviews'], ['Slime-Orig-Dest', `127.0.0.1:${closed}`]] });
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text).toContain(`127.0.0.1:${closed}`);
    expect(r.text.length).toBeLessThan(300);
  });

  it('answers 504 when the upstream accepts but never answers', async () => {
    const u = await startTcpUpstream(perTest, () => {});
    const r = await send(f.port, { headers: [['Host', 'reviews'], to(u)] });
    expect(r.status).toBe(504);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('waits for an upstream that is slow but never silent for the timeout, longer in all than the timeout', async () => {
    const gap = 300;
    const u = await startUpstream(perTest, (_req, res) => {
      let n = 0;
      const timer = setInterval(() => {
        if (n === 0) res.writeHead(200, { 'content-type': 'text/plain' });
        if (n < 6) res.write(`piece ${n}\n`);
        else {
          clearInterval(timer);
          res.end();
        }
        n++;
      }, gap);
      res.once('close', () => clearInterval(timer));
    });
    const r = await send(f.port, { headers: [['Host', 'reviews'], to(u)] });
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(r.text).toBe([0, 1, 2, 3, 4, 5].map((n) => `piece ${n}\n`).join(''));
  });

  it('answers 502 when the upstream closes the connection without answering', async () => {
    const u = await startUpstream(perTest, (req) => req.socket.destroy());
    const r = await send(f.port, { headers: [['Host', 'reviews'], to(u)] });
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('answers 502 when the upstream resets the connection', async () => {
    const u = await startTcpUpstream(perTest, (s) => s.once('data', () => s.resetAndDestroy()));
    const r = await send(f.port, { headers: [['Host', 'reviews'], to(u)] });
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('cuts the response to the client when the upstream resets in the middle of the body', async () => {
    const sockets: Socket[] = [];
    const u = await startUpstream(perTest, (req, res) => {
      sockets.push(req.socket);
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000, 'x'));
    });
    const r = await send(f.port, {
      headers: [['Host', 'reviews'], to(u)],
      // The client has the headers: now the upstream dies.
      onResponse: () => sockets[0].resetAndDestroy(),
    });
    expect(r.status).toBe(200);
    expect(r.complete).toBe(false);
    expect(r.body.length).toBeLessThan(1_000_000);
  });

  it('keeps serving after an upstream reset in the middle of a body', async () => {
    const sockets: Socket[] = [];
    const u = await startUpstream(perTest, (req, res) => {
      sockets.push(req.socket);
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000, 'x'));
    });
    await send(f.port, { headers: [['Host', 'reviews'], to(u)], onResponse: () => sockets[0].resetAndDestroy() });
    await stillServes();
  });

  it('cancels the upstream call when the client goes away in the middle of the response', async () => {
    let upstreamClosed = false;
    let upstreamFinished = false;
    const u = await startUpstream(perTest, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('tick\n'), 50);
      res.once('finish', () => (upstreamFinished = true));
      res.once('close', () => {
        clearInterval(timer);
        upstreamClosed = true;
      });
    });
    await send(f.port, { headers: [['Host', 'reviews'], to(u)], onResponse: (res, req) => res.once('data', () => req.destroy()) }).catch(() => undefined);
    await waitFor('the upstream call to be cancelled', async () => (upstreamClosed ? true : undefined), 10_000, 20);
    expect(upstreamFinished).toBe(false);
  });

  it('keeps serving after a client goes away in the middle of the response', async () => {
    const u = await startUpstream(perTest, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('tick\n'), 50);
      res.once('close', () => clearInterval(timer));
    });
    await send(f.port, { headers: [['Host', 'reviews'], to(u)], onResponse: (res, req) => res.once('data', () => req.destroy()) }).catch(() => undefined);
    await stillServes();
  });

  it('answers a garbage request line with 400 and keeps serving', async () => {
    const answer = await sendRaw(f.port, 'this is not http at all\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    await stillServes();
  });

  it('answers CONNECT with 405', async () => {
    const answer = await sendRaw(f.port, 'CONNECT reviews.default:443 HTTP/1.1\r\nHost: reviews.default:443\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(answer).toContain('CONNECT');
  });

  it('still answers 200 after all of the above', async () => {
    await stillServes();
    expect(f.running.listening()).toEqual([f.port]);
  });
});

describe('Upgrade', () => {
  interface Upgraded {
    res: IncomingMessage;
    socket: Socket;
    /** Everything read from the tunnel so far. */
    read: () => string;
  }
  /** Sends an Upgrade request; answers the tunnel, or the plain response when the upgrade was refused. */
  function upgrade(port: number, headers: [string, string][]): Promise<Upgraded | { status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/ws', agent: false, headers: [...headers, ['Connection', 'Upgrade'], ['Upgrade', 'websocket']].flat() });
      req.on('error', reject);
      req.on('upgrade', (res, socket: Socket, head) => {
        perTest.add(() => socket.destroy());
        let got = head.toString('latin1');
        socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
        socket.on('error', () => {});
        resolve({ res, socket, read: () => got });
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.end();
    });
  }

  it('tunnels bytes both ways after a 101', async () => {
    const u = await startUpstream(perTest);
    const upgrades: IncomingMessage[] = [];
    u.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      upgrades.push(req);
      perTest.add(() => socket.destroy()); // upgraded sockets are no longer the server's to close
      socket.on('error', () => {});
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello from upstream;');
      socket.on('data', (c: Buffer) => socket.write(c.toString('latin1').toUpperCase()));
    });
    const t = await upgrade(fwd.port, [['Host', 'chat'], to(u), ['Slime-Source-Ns', 'default']]);
    if (!('socket' in t)) throw new Error(`upgrade refused: ${t.status} ${t.text}`);
    expect(t.res.statusCode).toBe(101);
    await waitFor('the greeting', async () => (t.read().includes('hello from upstream;') ? true : undefined), 10_000, 20);
    t.socket.write('ping');
    await waitFor('the echo', async () => (t.read().endsWith('PING') ? true : undefined), 10_000, 20);
    expect(t.read()).toBe('hello from upstream;PING');
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0].headers.upgrade).toBe('websocket');
    expect(upgrades[0].headers.host).toBe('chat.default');
    expect(pairs(upgrades[0].rawHeaders).filter(([n]) => n.startsWith('slime-'))).toEqual([]);
  });

  it('passes an upstream refusal of the upgrade (400) back to the client', async () => {
    const u = await startUpstream(perTest);
    u.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      perTest.add(() => socket.destroy());
      socket.on('error', () => {});
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 15\r\nConnection: close\r\n\r\nno upgrade here');
    });
    const t = await upgrade(fwd.port, [['Host', 'chat'], to(u)]);
    expect('status' in t ? [t.status, t.text] : 'upgraded').toEqual([400, 'no upgrade here']);
  });

  it('answers 502 to an Upgrade whose upstream is unreachable', async () => {
    const closed = await freePort();
    const t = await upgrade(fwd.port, [['Host', 'chat'], ['Slime-Orig-Dest', `127.0.0.1:${closed}`]]);
    expect('status' in t ? t.status : 'upgraded').toBe(502);
  });
});
