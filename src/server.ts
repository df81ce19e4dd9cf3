// The hook server: routes only. Each hook is a function of the decoded JSON body; this module turns
// its result or failure into the HTTP answer Metacontroller expects.

import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import * as autofence from '../hooks/autofence.js';
import * as lazyloadconfig from '../hooks/lazyloadconfig.js';
import * as servicefence from '../hooks/servicefence.js';
import { encodeCanonical } from './protocol/canonical.js';
import { type DependencySource, noDependencySource } from './core/dependency.js';
import { type Logger, silentLogger } from './log.js';
import { InvalidRequest, isObject } from './protocol/metacontroller.js';
import { type HookMetrics, createHookMetrics } from './metrics.js';

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

export interface AppDeps {
  now?: () => Date;
  dependencies?: DependencySource;
  logger?: Logger;
  metrics?: HookMetrics;
  bodyLimit?: number;
  /** The global sidecar's image when the LazyloadConfig names none. */
  globalSidecarImage?: string;
  /** Readiness: false before the server listens and while it drains. */
  isReady?: () => boolean;
}

type Hook = (body: unknown) => unknown;

/** `namespace/name` of the request's parent (a decorator's object), for logs; undefined when there is none to name. */
function parentOf(body: unknown): string | undefined {
  const parent = isObject(body) ? (body.parent ?? body.object) : undefined;
  const meta = isObject(parent) ? parent.metadata : undefined;
  return isObject(meta) && typeof meta.name === 'string' ? `${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${meta.name}` : undefined;
}

const jsonError = (error: string, message: string, extra: Record<string, unknown> = {}) => ({ error, message, ...extra });

export function createApp(deps: AppDeps = {}): Hono {
  const logger = deps.logger ?? silentLogger;
  const metrics = deps.metrics ?? createHookMetrics();
  const limit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const syncDeps = { now: deps.now ?? (() => new Date()), dependencies: deps.dependencies ?? noDependencySource, globalSidecarImage: deps.globalSidecarImage };
  const app = new Hono();

  const hook = (name: string, run: Hook) => {
    const tooLarge = (c: Context) => {
      metrics.outcomes.inc({ hook: name, outcome: 'too_large' });
      return c.json(jsonError('PayloadTooLarge', `request body exceeds ${limit} bytes (BODY_LIMIT)`), 413);
    };
    const streamedLimit = bodyLimit({ maxSize: limit, onError: tooLarge });
    app.post(
      `/${name}`,
      // A declared Content-Length (what Go's client sends) is checked as is: Node's parser holds the
      // body to it. Hono's bodyLimit would touch the request stream even then, which costs the Node
      // adapter its fast body path (about a third of a sync's time); it still guards chunked bodies.
      async (c, next) => {
        const declared = c.req.header('content-length');
        if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return streamedLimit(c, next);
        return Number(declared) > limit ? tooLarge(c) : next();
      },
      async (c) => {
        const end = metrics.duration.startTimer({ hook: name });
        let body: unknown;
        const answer = (status: 200 | 400 | 422 | 500, text: string, outcome: string) => {
          const seconds = end();
          metrics.outcomes.inc({ hook: name, outcome });
          logger.debug('hook answered', { hook: name, parent: parentOf(body), status, ms: Math.round(seconds * 1e4) / 10 });
          return c.body(text, status, { 'content-type': 'application/json' });
        };
        try {
          body = JSON.parse(await c.req.text());
        } catch (e) {
          return answer(400, JSON.stringify(jsonError('BadJSON', `request body is not valid JSON: ${(e as Error).message}`)), 'bad_json');
        }
        try {
          const result = await run(body);
          return answer(200, encodeCanonical(result), 'ok');
        } catch (e) {
          if (e instanceof InvalidRequest) {
            logger.warn('invalid hook request', { hook: name, parent: parentOf(body), message: e.message });
            return answer(422, JSON.stringify(jsonError('InvalidRequest', e.message)), 'invalid_request');
          }
          // Any non-200 makes Metacontroller abort this sync and apply nothing: no child is lost.
          const id = randomUUID();
          logger.error('hook failed', { hook: name, parent: parentOf(body), errorId: id, error: (e as Error)?.stack ?? String(e) });
          return answer(500, JSON.stringify(jsonError('InternalError', 'the hook failed; nothing was changed', { errorId: id })), 'error');
        }
      },
    );
  };

  hook('servicefence/customize', (body) => servicefence.customize(body));
  hook('servicefence/sync', (body) => servicefence.sync(body, syncDeps));
  hook('lazyloadconfig/sync', (body) => lazyloadconfig.sync(body, syncDeps));
  hook('autofence/customize', (body) => autofence.customize(body));
  hook('autofence/sync', (body) => autofence.sync(body, { logger }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => ((deps.isReady ?? (() => true))() ? c.json({ status: 'ready' }) : c.json({ status: 'not ready' }, 503)));
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.notFound((c) => c.json(jsonError('NotFound', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((e, c) => {
    const id = randomUUID();
    logger.error('request failed', { path: c.req.path, errorId: id, error: e.stack ?? String(e) });
    return c.json(jsonError('InternalError', 'the request failed', { errorId: id }), 500);
  });
  return app;
}
