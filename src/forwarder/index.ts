// `lazyload forwarder`: the global sidecar (docs/design.md §11). Listens on the wormhole ports its ConfigMap
// lists, following the file as it changes, and on a probe port for health and metrics.

import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import client from 'prom-client';
import { Agent } from 'undici';
import type { Logger } from '../log.js';
import { type BindFailure, listenerSet } from './listeners.js';
import { createForwarderMetrics } from './metrics.js';
import { VERSION } from '../package.js';
import { type Resolve, clusterNames } from './names.js';
import { parsePortsFile } from './ports.js';
import { createProxy } from './proxy.js';

export interface ForwarderOptions {
  portsFile: string;
  probePort: number;
  host: string;
  logger: Logger;
  connectTimeoutMs: number;
  /** Longest wait for response headers, and between two pieces of a body. */
  upstreamTimeoutMs: number;
  /** How often the ports file is read (a mounted ConfigMap changes by a symlink swap, which watchers miss). */
  pollMs?: number;
  /** How long a closing listener waits for in-flight requests. */
  graceMs?: number;
  registry?: client.Registry;
  processMetrics?: boolean;
  /** How `name.ns` destinations are told apart (default: the pod's DNS). */
  resolve?: Resolve;
}

export interface RunningForwarder {
  probeUrl: string;
  ready(): boolean;
  listening(): number[];
  /** Read the ports file now, as the poll does. */
  reload(): Promise<void>;
  /**
   * Unready at once, still forwarding for `drainMs` (endpoints take a moment to drop the pod); then
   * the listeners close after their in-flight requests, cut after `graceMs`.
   */
  close(o?: { drainMs?: number; graceMs?: number }): Promise<void>;
}

// Upstream keep-alive: reuse a connection idle for up to 4 s (undici's default, below the 5 s most
// servers keep one), or as long as the server's Keep-Alive header says.
const UPSTREAM_IDLE_MS = 4_000;

export async function startForwarder(o: ForwarderOptions): Promise<RunningForwarder> {
  const { logger } = o;
  const registry = o.registry ?? new client.Registry();
  if (o.processMetrics) client.collectDefaultMetrics({ register: registry });
  const metrics = createForwarderMetrics(registry);
  const dispatcher = new Agent({
    connect: { timeout: o.connectTimeoutMs },
    headersTimeout: o.upstreamTimeoutMs,
    bodyTimeout: o.upstreamTimeoutMs,
    keepAliveTimeout: UPSTREAM_IDLE_MS,
  });
  const proxy = createProxy({ dispatcher, metrics, names: clusterNames(o.resolve), logger, connectTimeoutMs: o.connectTimeoutMs });
  const graceMs = o.graceMs ?? 20_000;
  const listeners = listenerSet({ host: o.host, proxy, logger, graceMs });

  // The last text read and the last read error, so a bad file is reported once; and whether any
  // valid file was read.
  let seen: string | undefined;
  let readError: string | undefined;
  let known = false;
  let failures: BindFailure[] = [];
  let waiting = 'the ports file has not been read yet';
  let stopping = false;
  let reloading: Promise<void> | undefined;

  async function readPorts(): Promise<void> {
    let text: string;
    try {
      text = await readFile(o.portsFile, 'utf8');
    } catch (e) {
      const error = (e as Error).message;
      if (!known) waiting = `cannot read ${o.portsFile}: ${error}`;
      // Polled every few seconds: say it once per new problem, not once per poll.
      if (readError !== error) {
        metrics.reloads.inc({ outcome: 'unreadable' });
        logger.error('cannot read the ports file; listeners unchanged', { file: o.portsFile, error });
      }
      readError = error;
      return;
    }
    readError = undefined;
    if (text === seen && failures.length === 0) return;
    seen = text;
    const parsed = parsePortsFile(text);
    if (!parsed.ok) {
      if (!known) waiting = `${o.portsFile}: ${parsed.message}`;
      metrics.reloads.inc({ outcome: 'invalid' });
      logger.error('invalid ports file; listeners unchanged', { file: o.portsFile, error: parsed.message });
      return;
    }
    known = true;
    // Slime's proxy skips it too: the probe port is taken.
    const ports = parsed.ports.filter((p) => p !== o.probePort);
    if (ports.length < parsed.ports.length) logger.warn('the probe port is also a wormhole port; not forwarding on it', { port: o.probePort });
    const before = JSON.stringify(failures);
    failures = await listeners.apply(ports);
    metrics.listeners.set(listeners.listening().length);
    // A port that cannot be bound is tried at every poll: report it when that changes, not each time.
    if (failures.length > 0 && JSON.stringify(failures) === before) return;
    metrics.reloads.inc({ outcome: failures.length > 0 ? 'bind_failed' : 'ok' });
    for (const f of failures) logger.error('cannot listen', { port: f.port, error: f.message });
    if (failures.length === 0) logger.info('wormhole ports', { ports: listeners.listening() });
  }

  const reload = (): Promise<void> => {
    reloading ??= readPorts().finally(() => (reloading = undefined));
    return reloading;
  };

  const ready = () => !stopping && known && failures.length === 0;
  const notReady = (): string => {
    if (stopping) return 'shutting down';
    if (failures.length > 0) return failures.map((f) => `cannot listen on ${f.port}: ${f.message}`).join('\n');
    return waiting;
  };

  const app = new Hono();
  app.get('/healthz/live', (c) => c.text('ok\n'));
  app.get('/healthz/ready', (c) => (ready() ? c.text('ok\n') : c.text(`${notReady()}\n`, 503)));
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));

  await reload();
  const poll = setInterval(() => void reload(), o.pollMs ?? 2_000);
  poll.unref();

  return new Promise((resolve, reject) => {
    const probe = serve({ fetch: app.fetch, port: o.probePort, hostname: o.host }, (info: AddressInfo) => {
      const probeUrl = `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
      logger.info('probe listening', { url: probeUrl, version: VERSION });
      resolve({
        probeUrl,
        ready,
        listening: () => listeners.listening(),
        reload,
        close: async ({ drainMs = 0, graceMs: grace = graceMs } = {}) => {
          stopping = true;
          clearInterval(poll);
          if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
          await listeners.close(grace);
          await dispatcher.close();
          await new Promise<void>((done) => {
            probe.close(() => done());
            probe.closeIdleConnections();
          });
        },
      });
    }) as Server;
    probe.once('error', reject);
  });
}
