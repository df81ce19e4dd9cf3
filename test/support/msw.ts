// msw for code that speaks HTTP through undici's own Pool (the Prometheus client), not global fetch.
//
// msw's setupServer attaches only its ClientRequest, XMLHttpRequest, fetch and WebSocket interceptors,
// and those hand on a request only when it came from http.ClientRequest or a global-fetch Request; a
// Pool from the npm `undici` package is neither, so its requests go to the real network unseen (the
// first test in msw-interception.test.ts keeps that claim honest). msw's HttpRequestInterceptor works
// one level lower, on net.Socket's connect, which every undici connection goes through, and answers
// any HTTP client. defineNetwork and InterceptorSource are the pieces setupServer itself is built
// from; here they carry that interceptor instead.

import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import type { AnyHandler } from 'msw';
import { type NetworkApi, InterceptorSource, defineNetwork } from 'msw/experimental';
import { afterAll, afterEach, beforeAll } from 'vitest';

type Network = NetworkApi<[InterceptorSource]>;

/**
 * A network where a request no handler answers fails (never reaching a real server), so a test
 * whose handler does not match cannot pass by accident. Disabled and enabled by the caller.
 */
export function socketNetwork(...handlers: AnyHandler[]): Network {
  return defineNetwork({
    sources: [new InterceptorSource({ interceptors: [new HttpRequestInterceptor()] })],
    handlers,
    onUnhandledFrame: 'error',
    context: { quiet: true },
  });
}

/**
 * The file's network: enabled before its first test, handlers reset after each, disabled after
 * its last, so no interception outlives the file even when a worker runs another file next.
 */
export function interceptNetwork(): Network {
  const network = socketNetwork();
  beforeAll(() => network.enable());
  afterEach(() => network.resetHandlers());
  afterAll(() => network.disable());
  return network;
}
