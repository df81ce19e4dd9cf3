// One HTTP server per wormhole port, kept equal to the port list: a new port opens at once, a
// removed one stops accepting and closes each connection when its in-flight request has finished
// (tunnels and slow streams are cut after a grace period).

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import type { Proxy } from './proxy.js';

// Envoy keeps idle upstream connections for an hour (Istio's default idleTimeout). Closing ours
// first would race its next request on the same connection, and that call would fail: outlive it.
export const DOWNSTREAM_IDLE_MS = 61 * 60_000;

export interface BindFailure {
  port: number;
  message: string;
}

export interface ListenerSet {
  /** Listen on exactly these ports; answers the ones that could not be opened (tried again next time). */
  apply(ports: number[]): Promise<BindFailure[]>;
  listening(): number[];
  /** Stop every listener, giving in-flight requests up to `graceMs`. */
  close(graceMs: number): Promise<void>;
}

interface Listener {
  server: Server;
  tunnels: Set<Duplex>;
  closing: boolean;
  /** Called as a tunnel closes: the last one may finish a retirement. */
  tunnelClosed: () => void;
}

export function listenerSet(o: { host: string; proxy: Proxy; logger: Logger; graceMs: number }): ListenerSet {
  const open = new Map<number, Listener>();

  function listener(): Listener {
    const l: Listener = {
      // No limit on a whole request (uploads may be long); headers must come within a minute.
      server: createServer({ keepAliveTimeout: DOWNSTREAM_IDLE_MS, requestTimeout: 0, headersTimeout: 60_000 }),
      tunnels: new Set(),
      closing: false,
      tunnelClosed: () => {},
    };
    const closing = () => l.closing;
    l.server.on('request', (req: IncomingMessage, res: ServerResponse) => o.proxy.request(req, res, closing));
    l.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      l.tunnels.add(socket);
      socket.once('close', () => {
        l.tunnels.delete(socket);
        l.tunnelClosed();
      });
      o.proxy.upgrade(req, socket, head);
    });
    l.server.on('connect', (req: IncomingMessage, socket: Duplex) => o.proxy.connect(req, socket));
    return l;
  }

  function listen(port: number): Promise<BindFailure | undefined> {
    const l = listener();
    return new Promise((resolve) => {
      l.server.once('error', (e) => resolve({ port, message: e.message }));
      l.server.listen(port, o.host, () => {
        open.set(port, l);
        o.logger.info('listening', { port });
        resolve(undefined);
      });
    });
  }

  function retire(port: number, l: Listener, graceMs: number): Promise<void> {
    open.delete(port);
    l.closing = true;
    return new Promise((resolve) => {
      let serverClosed = false;
      const finished = () => {
        if (!serverClosed || l.tunnels.size > 0) return;
        clearTimeout(cut);
        clearInterval(sweep);
        o.logger.info('closed', { port });
        resolve();
      };
      const cut = setTimeout(() => {
        l.server.closeAllConnections();
        for (const t of l.tunnels) t.destroy();
      }, graceMs);
      // Answers started from now on say `Connection: close`; one already started cannot, so its
      // connection is closed once idle. Checking a few times a second costs nothing per request.
      const sweep = setInterval(() => l.server.closeIdleConnections(), 100);
      l.tunnelClosed = finished;
      // Upgraded sockets are no longer the server's: its close waits for requests only.
      l.server.close(() => {
        serverClosed = true;
        finished();
      });
      l.server.closeIdleConnections();
    });
  }

  return {
    async apply(ports) {
      const wanted = new Set(ports);
      for (const [port, l] of open) if (!wanted.has(port)) void retire(port, l, o.graceMs);
      const failures = await Promise.all(ports.filter((p) => !open.has(p)).map(listen));
      return failures.filter((f): f is BindFailure => f !== undefined);
    },
    listening: () => [...open.keys()].sort((a, b) => a - b),
    async close(graceMs) {
      await Promise.all([...open].map(([port, l]) => retire(port, l, graceMs)));
    },
  };
}
