// The forwarder over real loopback sockets: a forwarder started in-process on a free wormhole port
// with its ports file in a temp directory, upstream servers built on node:http and node:net, and a
// client that controls every header it sends (raw header arrays, raw sockets).

import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type Agent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import { type AddressInfo, type Server as NetServer, type Socket, connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { type ForwarderOptions, type RunningForwarder, startForwarder } from '../../src/forwarder/index.js';
import { silentLogger } from '../../src/log.js';
import { freePort, waitFor } from './prometheus.js';

export { freePort, waitFor };

/** Things to close after a test (or after a file), last opened first. */
export class Closers {
  private list: (() => Promise<unknown> | unknown)[] = [];
  add(close: () => Promise<unknown> | unknown): void {
    this.list.push(close);
  }
  async closeAll(): Promise<void> {
    for (const c of this.list.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // one stuck resource must not keep the others open
      }
    }
  }
}

/** Closers for one test file: `perTest` closed after each test, `perFile` after its last. */
export function fileClosers(): { perFile: Closers; perTest: Closers } {
  const perFile = new Closers();
  const perTest = new Closers();
  afterEach(() => perTest.closeAll());
  afterAll(() => perFile.closeAll());
  return { perFile, perTest };
}

// ---------------------------------------------------------------------------------------------
// The forwarder

/** Writes the ports file the way a ConfigMap update lands: whole, never half-written. */
export function writePortsFile(file: string, ports: number[] | string): void {
  const text = typeof ports === 'string' ? ports : `wormholePorts:\n${ports.map((p) => `- ${p}\n`).join('')}`;
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export interface TestForwarder {
  running: RunningForwarder;
  /** The wormhole port it was started with (undefined when started without a ports file). */
  port: number;
  portsFile: string;
  probeUrl: string;
  writePorts(ports: number[] | string): void;
}

export interface TestForwarderOptions extends Partial<Omit<ForwarderOptions, 'portsFile' | 'probePort' | 'host'>> {
  /** Write no ports file before starting (the file is missing at start). */
  noPortsFile?: boolean;
}

export async function startTestForwarder(closers: Closers, o: TestForwarderOptions = {}): Promise<TestForwarder> {
  const { noPortsFile, ...options } = o;
  const dir = mkdtempSync(join(tmpdir(), 'lazyload-forwarder-'));
  closers.add(() => rmSync(dir, { recursive: true, force: true }));
  const portsFile = join(dir, 'cfg');
  const port = await freePort();
  let probePort = await freePort();
  while (probePort === port) probePort = await freePort();
  if (!noPortsFile) writePortsFile(portsFile, [port]);
  const running = await startForwarder({
    portsFile,
    probePort,
    host: '127.0.0.1',
    logger: silentLogger,
    connectTimeoutMs: 2_000,
    upstreamTimeoutMs: 5_000,
    pollMs: 50,
    graceMs: 5_000,
    resolve: async () => false,
    ...options,
  });
  closers.add(() => running.close({ graceMs: 100 }));
  return { running, port, portsFile, probeUrl: running.probeUrl, writePorts: (ports) => writePortsFile(portsFile, ports) };
}

// ---------------------------------------------------------------------------------------------
// Upstreams

export interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingHttpHeaders;
}

export interface Upstream {
  server: Server;
  host: string;
  port: number;
  /** `host:port`, what Slime-Orig-Dest carries. */
  address: string;
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests received so far, in order. */
  seen: Seen[];
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers every request with JSON of what it received: method, target, raw headers, body length. */
export const echo: Handler = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const text = JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body: body.toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
    res.end(text);
  });
};

export async function startUpstream(closers: Closers, handler: Handler = echo, o: { host?: string; port?: number } = {}): Promise<Upstream> {
  const host = o.host ?? '127.0.0.1';
  const server = createServer();
  const u: Upstream = { server, host, port: 0, address: '', connections: 0, seen: [] };
  server.on('connection', () => u.connections++);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    u.seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  u.port = (server.address() as AddressInfo).port;
  u.address = `${host}:${u.port}`;
  closers.add(() => closeServer(server));
  return u;
}

export async function closeServer(server: Server | NetServer, sockets: Iterable<Socket> = []): Promise<void> {
  for (const s of sockets) s.destroy();
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

/** A plain TCP server: for upstreams that misbehave below HTTP (hang, reset). */
export async function startTcpUpstream(closers: Closers, onSocket: (s: Socket) => void): Promise<{ port: number; address: string; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  closers.add(() => closeServer(server, sockets));
  return { port, address: `127.0.0.1:${port}`, sockets };
}

/** Name/value pairs of raw headers, names lowercased, in order. */
export function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Clients

export interface Sent {
  method?: string;
  path?: string;
  /** Raw headers, sent exactly (Node adds none but Connection and the body framing). */
  headers?: [string, string][];
  body?: string | Buffer | (string | Buffer)[];
  agent?: Agent | false;
  host?: string;
  /** Called with the response as soon as its headers arrive (before its body is read). */
  onResponse?: (res: IncomingMessage, req: ClientRequest) => void;
}

export interface Received {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  trailers: NodeJS.Dict<string>;
  body: Buffer;
  text: string;
  /** Whether the response arrived whole. */
  complete: boolean;
  /** Whether the client reused a keep-alive connection for it. */
  reusedSocket: boolean;
  socket?: Socket;
}

/** One request through node:http with exactly the given headers; resolves with the whole answer. */
export function send(port: number, s: Sent = {}): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: s.host ?? '127.0.0.1',
      port,
      method: s.method ?? 'GET',
      path: s.path ?? '/',
      headers: (s.headers ?? []).flat(),
      agent: s.agent ?? false,
    });
    let socket: Socket | undefined;
    req.on('socket', (sock) => (socket = sock as Socket));
    req.on('error', reject);
    req.on('response', (res) => {
      s.onResponse?.(res, req);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => {});
      res.on('close', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          trailers: res.trailers,
          body,
          text: body.toString('utf8'),
          complete: res.complete,
          reusedSocket: req.reusedSocket,
          socket,
        });
      });
    });
    const bodies = s.body === undefined ? [] : Array.isArray(s.body) ? s.body : [s.body];
    for (const b of bodies) req.write(b);
    req.end();
  });
}

/** Writes `text` on a fresh TCP connection and answers everything read until the server closes (or `timeoutMs`). */
export function sendRaw(port: number, text: string | Buffer, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(text);
  });
}

/** Whether a TCP connection to the port is refused (rather than accepted). */
export function refused(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** GET on the probe port. */
export async function probe(f: { probeUrl: string }, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${f.probeUrl}${path}`);
  return { status: res.status, text: await res.text() };
}

// ---------------------------------------------------------------------------------------------
// Metrics

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, samples only. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(f: { probeUrl: string }): Promise<Sample[]> {
  const { status, text } = await probe(f, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  return parseMetrics(text);
}

/** The value of the one sample of `name` whose labels are exactly `labels`; 0 when there is none. */
export async function metricValue(f: { probeUrl: string }, name: string, labels: Record<string, string>): Promise<number> {
  const want = JSON.stringify(Object.entries(labels).sort());
  const hit = (await scrape(f)).find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
  return hit?.value ?? 0;
}
