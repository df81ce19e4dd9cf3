// The forwarder's wormhole ports following its ports file, and its readiness, over real loopback
// sockets: ports opening and closing as the file changes, in-flight calls on a removed port, bad
// files, missing files, ports that cannot be bound, and shutting down.
import { Agent, type IncomingMessage, type ServerResponse, request } from 'node:http';
import { type AddressInfo, type Socket, createServer as createNetServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { closeServer, fileClosers, freePort, metricValue, probe, refused, send, startTestForwarder, startUpstream, waitFor } from './support/forwarder.js';

const { perTest } = fileClosers();

const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined) => waitFor(what, async () => check(), 15_000, 25);
const readiness = (f: { probeUrl: string }) => probe(f, '/healthz/ready');

describe('following the ports file', () => {
  it('opens a listener for a port added to the file', async () => {
    const f = await startTestForwarder(perTest);
    const u = await startUpstream(perTest);
    const added = await freePort();
    f.writePorts([f.port, added]);
    await until('the added port', () => (f.running.listening().includes(added) ? true : undefined));
    expect(f.running.listening()).toEqual([f.port, added].sort((a, b) => a - b));
    expect(await readiness(f)).toEqual({ status: 200, text: 'ok\n' });
    const r = await send(added, { headers: [['Host', u.address]] });
    expect(r.status).toBe(200);
    expect(u.seen).toHaveLength(1);
  });

  it('closes the listener of a port removed from the file to new connections', async () => {
    const f = await startTestForwarder(perTest);
    const removed = await freePort();
    f.writePorts([f.port, removed]);
    await until('the second port', () => (f.running.listening().includes(removed) ? true : undefined));
    f.writePorts([f.port]);
    await until('the port to be dropped', () => (f.running.listening().includes(removed) ? undefined : true));
    await until('connections to be refused', async () => ((await refused(removed)) ? true : undefined));
    expect(f.running.listening()).toEqual([f.port]);
    expect(await readiness(f)).toEqual({ status: 200, text: 'ok\n' });
  });

  it('finishes a call in flight on a removed port with 200, telling its client to close, while refusing new connections there', async () => {
    const f = await startTestForwarder(perTest, { graceMs: 20_000 });
    const held: ServerResponse[] = [];
    const u = await startUpstream(perTest, (_req, res) => void held.push(res));
    const removed = await freePort();
    f.writePorts([f.port, removed]);
    await until('the second port', () => (f.running.listening().includes(removed) ? true : undefined));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    perTest.add(() => agent.destroy());

    const inFlight = send(removed, { headers: [['Host', u.address]], agent });
    await until('the call to reach the upstream', () => (held.length === 1 ? true : undefined));
    f.writePorts([f.port]);
    await until('the port to be dropped', () => (f.running.listening().includes(removed) ? undefined : true));
    expect(await refused(removed)).toBe(true);

    held[0].end('finished');
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.text).toBe('finished');
    expect(r.complete).toBe(true);
    // So the client does not send another call on a connection that is about to go.
    expect(r.headers.connection).toBe('close');
  });

  it('keeps its listeners and stays ready when the file becomes invalid', async () => {
    const f = await startTestForwarder(perTest);
    const u = await startUpstream(perTest);
    f.writePorts('wormholePorts: [80, "not a port"\n');
    await until('the invalid file to be read', async () => ((await metricValue(f, 'lazyload_forwarder_port_reloads_total', { outcome: 'invalid' })) >= 1 ? true : undefined));
    expect(f.running.listening()).toEqual([f.port]);
    expect(f.running.ready()).toBe(true);
    expect(await readiness(f)).toEqual({ status: 200, text: 'ok\n' });
    expect((await send(f.port, { headers: [['Host', u.address]] })).status).toBe(200);
  });

  it("reads ports written as strings, as Slime's ConfigMaps have them", async () => {
    const f = await startTestForwarder(perTest);
    const added = await freePort();
    f.writePorts(`wormholePorts:\n- "${f.port}"\n- '${added}'\n`);
    await until('the added port', () => (f.running.listening().includes(added) ? true : undefined));
    expect(f.running.listening()).toEqual([f.port, added].sort((a, b) => a - b));
  });

  it('counts (and logs) an invalid file once however often it is read', async () => {
    const lines: string[] = [];
    const f = await startTestForwarder(perTest, { logger: createLogger('info', (l) => lines.push(l)), pollMs: 60_000 });
    f.writePorts('wormholePorts: 80\n');
    for (let i = 0; i < 5; i++) await f.running.reload();
    expect(await metricValue(f, 'lazyload_forwarder_port_reloads_total', { outcome: 'invalid' })).toBe(1);
    expect(lines.filter((l) => JSON.parse(l).msg === 'invalid ports file; listeners unchanged')).toHaveLength(1);
  });

  it('is unready until a ports file exists, and ready once it appears', async () => {
    const f = await startTestForwarder(perTest, { noPortsFile: true });
    const before = await readiness(f);
    expect(before.status).toBe(503);
    expect(before.text).toContain(f.portsFile);
    expect(f.running.listening()).toEqual([]);
    f.writePorts([f.port]);
    await until('readiness', async () => ((await readiness(f)).status === 200 ? true : undefined));
    expect(f.running.listening()).toEqual([f.port]);
  });

  it('is unready, naming the port, while a listed port cannot be bound, and recovers once it is free', async () => {
    const f = await startTestForwarder(perTest);
    const u = await startUpstream(perTest);
    const occupier = createNetServer();
    await new Promise<void>((r) => occupier.listen(0, '127.0.0.1', r));
    const taken = (occupier.address() as AddressInfo).port;
    perTest.add(() => (occupier.listening ? closeServer(occupier) : undefined));

    f.writePorts([f.port, taken]);
    const unready = await until('unreadiness', async () => {
      const r = await readiness(f);
      return r.status === 503 ? r : undefined;
    });
    expect(unready.text).toContain(`cannot listen on ${taken}`);
    expect(f.running.listening()).toEqual([f.port]);
    expect((await send(f.port, { headers: [['Host', u.address]] })).status).toBe(200);

    await closeServer(occupier);
    await until('readiness', async () => ((await readiness(f)).status === 200 ? true : undefined));
    expect(f.running.listening()).toEqual([f.port, taken].sort((a, b) => a - b));
    expect((await send(taken, { headers: [['Host', u.address]] })).status).toBe(200);
  });

  it('does not forward on the probe port even when the file lists it', async () => {
    const f = await startTestForwarder(perTest);
    const probePort = Number(new URL(f.probeUrl).port);
    f.writePorts([f.port, probePort]);
    await until('the file to be read', async () => ((await metricValue(f, 'lazyload_forwarder_port_reloads_total', { outcome: 'ok' })) >= 2 ? true : undefined));
    expect(f.running.listening()).toEqual([f.port]);
    expect(await readiness(f)).toEqual({ status: 200, text: 'ok\n' });
  });
});

describe('tunnels on a removed port', () => {
  it('keeps an open Upgrade tunnel on a removed port working, and cuts it after the grace period', async () => {
    const f = await startTestForwarder(perTest, { graceMs: 3_000 });
    const u = await startUpstream(perTest);
    u.server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      perTest.add(() => socket.destroy());
      socket.on('error', () => {});
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (c: Buffer) => socket.write(c));
    });
    const removed = await freePort();
    f.writePorts([f.port, removed]);
    await until('the second port', () => (f.running.listening().includes(removed) ? true : undefined));

    const tunnel = await new Promise<Socket>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: removed, agent: false, headers: { Host: u.address, Connection: 'Upgrade', Upgrade: 'echo' } });
      req.on('error', reject);
      req.on('upgrade', (_res, socket: Socket) => resolve(socket));
      req.on('response', (res) => reject(new Error(`not upgraded: ${res.statusCode}`)));
      req.end();
    });
    perTest.add(() => tunnel.destroy());
    let got = '';
    let closed = false;
    tunnel.on('data', (c: Buffer) => (got += c.toString()));
    tunnel.on('error', () => {});
    tunnel.once('close', () => (closed = true));

    f.writePorts([f.port]);
    await until('the port to be dropped', () => (f.running.listening().includes(removed) ? undefined : true));
    tunnel.write('still there?');
    await until('the echo', () => (got === 'still there?' ? true : undefined));
    await until('the tunnel to be cut', () => (closed ? true : undefined));
  });
});

describe('shutting down', () => {
  it('turns unready at once on close while still forwarding during the drain', async () => {
    const f = await startTestForwarder(perTest);
    const u = await startUpstream(perTest);
    const closing = f.running.close({ drainMs: 2_000, graceMs: 100 });
    expect(f.running.ready()).toBe(false);
    const r = await readiness(f);
    expect(r.status).toBe(503);
    expect(r.text).toContain('shutting down');
    expect((await send(f.port, { headers: [['Host', u.address]] })).status).toBe(200);
    await closing;
    expect(await refused(f.port)).toBe(true);
  });
});
