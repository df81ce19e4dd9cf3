// `lazyload serve`: the hook app on a real socket, with the timeouts Metacontroller's client needs
// and a graceful drain on SIGTERM.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import client from 'prom-client';
import type { Logger } from '../log.js';
import { createHookMetrics } from '../metrics.js';
import { VERSION } from '../package.js';
import { type AppDeps, createApp } from '../server.js';

// Go's http.Transport drops idle connections after 90 s. If Node closed them first, a request sent on
// a connection Node is closing fails with EOF and Metacontroller reports a SyncError for nothing.
export const KEEP_ALIVE_TIMEOUT_MS = 95_000;

export interface RunningServer {
  server: Server;
  url: string;
  /** Turn unready, keep answering for `graceMs` (endpoints take a moment to drop the pod), then close. */
  close(graceMs?: number): Promise<void>;
}

export interface ServeOptions extends Omit<AppDeps, 'isReady' | 'metrics'> {
  port: number;
  host: string;
  logger: Logger;
  /** Also export Node process metrics (the real server does; tests need not). */
  processMetrics?: boolean;
  /** Where /metrics reads from; the dependency source registers its metrics here too. */
  registry?: client.Registry;
}

export function startServer(opts: ServeOptions): Promise<RunningServer> {
  let ready = false;
  const registry = opts.registry ?? new client.Registry();
  if (opts.processMetrics) client.collectDefaultMetrics({ register: registry });
  const app = createApp({ ...opts, metrics: createHookMetrics(registry), isReady: () => ready });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, (info: AddressInfo) => {
      ready = true;
      const url = `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
      opts.logger.info('listening', { url, version: VERSION });
      resolve({
        server,
        url,
        close: async (graceMs = 0) => {
          ready = false;
          if (graceMs > 0) await new Promise((r) => setTimeout(r, graceMs));
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          });
        },
      });
    }) as Server;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
    server.once('error', reject);
  });
}
