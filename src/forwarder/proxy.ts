// The forwarding itself: a request in on a wormhole port, the same request out to its destination
// over a pooled keep-alive connection (undici), the answer streamed back as it comes. Node's own
// http server rather than Hono here: a proxy needs raw headers, trailers and Upgrade sockets, which
// the Fetch API does not carry.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from '../log.js';
import type { ClusterNames } from './names.js';
import type { ForwarderMetrics, UpstreamError } from './metrics.js';
import { type Plan, planForward } from './plan.js';

export interface ProxyOptions {
  dispatcher: Dispatcher;
  metrics: ForwarderMetrics;
  names: ClusterNames;
  logger: Logger;
  /** How long a tunnel's upstream connection may take (requests use the dispatcher's own). */
  connectTimeoutMs: number;
}

export interface Proxy {
  /** `closing`: whether the listener is going away, so the answer should end its connection. */
  request(req: IncomingMessage, res: ServerResponse, closing?: () => boolean): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  connect(req: IncomingMessage, socket: Duplex): void;
}

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

function failureOf(err: Error): { reason: UpstreamError; status: 502 | 504 } {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (TIMEOUTS.has(code)) return { reason: 'timeout', status: 504 };
  if (UNREACHABLE.has(code)) return { reason: 'unreachable', status: 502 };
  return { reason: 'reset', status: 502 };
}

const where = (p: Plan): string => (p.to.host.includes(':') ? `[${p.to.host}]:${p.to.port}` : `${p.to.host}:${p.to.port}`);

function failureText(status: 502 | 504, plan: Plan, err: Error): string {
  return status === 504
    ? `lazyload forwarder: ${where(plan)} did not answer in time (${err.message})\n`
    : `lazyload forwarder: cannot forward to ${where(plan)}: ${err.message}\n`;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 502: 'Bad Gateway', 504: 'Gateway Timeout', 508: 'Loop Detected' };

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, STATUS_TEXT[status], { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An answer written on a bare socket (Upgrade and CONNECT requests have no ServerResponse). */
function answerRaw(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

// Hop-by-hop headers of the upstream answer: Node frames the response to our client itself.
const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

function responseHeaders(headers: IncomingHttpHeaders, withTrailer = true): [string, string][] {
  const listed = new Set(String(headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()));
  const out: [string, string][] = [];
  for (const name in headers) {
    if (RESPONSE_HOP_BY_HOP.has(name) || listed.has(name) || (!withTrailer && name === 'trailer')) continue;
    const v = headers[name];
    if (Array.isArray(v)) for (const one of v) out.push([name, one]);
    else if (v !== undefined) out.push([name, v]);
  }
  return out;
}

/**
 * Trailers ride only on a chunked response, which Node sends unless the answer has no body or a
 * length, or the client speaks HTTP/1.0. Otherwise Node refuses a `Trailer` header: drop it and them.
 */
const chunked = (req: IncomingMessage, status: number, headers: IncomingHttpHeaders): boolean =>
  req.method !== 'HEAD' && status !== 204 && status !== 304 && headers['content-length'] === undefined && req.httpVersion === '1.1';

const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

export function createProxy(o: ProxyOptions): Proxy {
  const { metrics, logger } = o;

  /** Plans the request, or answers its refusal through `refuse` and returns undefined. */
  function plan(req: IncomingMessage, upgrade: boolean, refuse: (status: number, text: string) => void): Plan | undefined {
    const p = planForward({ method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, listenPort: req.socket.localPort ?? 0, upgrade });
    if ('status' in p) {
      metrics.rejected.inc({ reason: p.status === 508 ? 'loop' : 'destination' });
      logger.debug('request refused', { status: p.status, message: p.message });
      refuse(p.status, `lazyload forwarder: ${p.message}\n`);
      return undefined;
    }
    count(p);
    return p;
  }

  /** Credits the calling fence; a name that needs DNS is counted when DNS has said which it is. */
  function count(p: Plan): void {
    const { source, destination } = p;
    if (!source || !destination) return;
    if (destination.kind === 'host') metrics.called(source, destination.name);
    else void o.names.nameOf(destination).then((name) => metrics.called(source, name));
  }

  function failed(p: Plan, err: Error, reason: UpstreamError): void {
    metrics.upstreamErrors.inc({ reason });
    logger.debug('upstream failed', { to: where(p), reason, error: err.message });
  }

  return {
    request(req, res, closing) {
      const started = performance.now();
      // Asked when the answer starts, so calls in flight when a port goes tell their client too.
      const lastOnConnection = () => {
        if (closing?.()) res.shouldKeepAlive = false;
      };
      const p = plan(req, false, (status, text) => {
        lastOnConnection();
        answer(res, status, text);
      });
      if (!p) return;
      res.sendDate = false; // the upstream's Date, or none, as it answered
      let controller: Dispatcher.DispatchController | undefined;
      let clientGone = false;
      let withTrailers = false;
      res.once('close', () => {
        if (res.writableFinished) return;
        clientGone = true;
        controller?.abort(new Error('the client went away'));
      });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (clientGone) c.abort(new Error('the client went away'));
        },
        onResponseStart(c, status, headers, statusMessage) {
          metrics.duration.observe((performance.now() - started) / 1000);
          withTrailers = chunked(req, status, headers);
          lastOnConnection();
          try {
            res.writeHead(status, statusMessage || undefined, responseHeaders(headers, withTrailers));
          } catch (e) {
            // A header Node will not send (an invalid character): the upstream's answer is unusable.
            c.abort(e as Error);
          }
        },
        onResponseData(c, chunk) {
          if (!res.write(chunk)) {
            c.pause();
            res.once('drain', () => c.resume());
          }
        },
        onResponseEnd(_c, trailers) {
          const pairs = withTrailers ? responseHeaders(trailers) : [];
          if (pairs.length > 0) res.addTrailers(pairs);
          res.end();
        },
        onResponseError(_c, err) {
          if (clientGone) return;
          if (res.headersSent) {
            failed(p, err, 'aborted');
            res.destroy(err);
            return;
          }
          const { reason, status } = failureOf(err);
          metrics.duration.observe((performance.now() - started) / 1000);
          failed(p, err, reason);
          lastOnConnection();
          answer(res, status, failureText(status, p, err));
        },
      };
      o.dispatcher.dispatch(
        {
          origin: `http://${where(p)}`,
          path: p.path,
          method: req.method ?? 'GET',
          headers: p.headers,
          body: hasBody(req) ? req : null,
        },
        handler,
      );
    },

    upgrade(req, socket, head) {
      socket.on('error', () => {}); // a client that resets is not our failure
      const p = plan(req, true, (status, text) => answerRaw(socket, status, text));
      if (!p) return;
      const upstream: Socket = netConnect({ host: p.to.host, port: p.to.port });
      let connected = false;
      upstream.setTimeout(o.connectTimeoutMs, () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
      upstream.once('connect', () => {
        connected = true;
        upstream.setTimeout(0);
        let lines = `${req.method} ${p.path} HTTP/1.1\r\n`;
        for (let i = 0; i < p.headers.length; i += 2) lines += `${p.headers[i]}: ${p.headers[i + 1]}\r\n`;
        upstream.write(`${lines}\r\n`);
        if (head.length > 0) upstream.write(head);
        // The answer (101 or a refusal) and everything after it pass through byte for byte.
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on('error', (err) => {
        if (connected) {
          failed(p, err, 'aborted');
          socket.destroy();
          return;
        }
        const { reason, status } = failureOf(err);
        failed(p, err, reason);
        answerRaw(socket, status, failureText(status, p, err));
      });
      // Before the connection, the error handler answers and ends the socket itself.
      upstream.once('close', () => connected && socket.destroy());
      socket.once('close', () => upstream.destroy());
    },

    connect(_req, socket) {
      socket.on('error', () => {});
      metrics.rejected.inc({ reason: 'method' });
      answerRaw(socket, 405, 'lazyload forwarder: CONNECT is not supported; send the request itself\n');
    },
  };
}
