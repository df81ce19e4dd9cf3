// The address the servers listen on when HOST is unset. `::` with IPv6-only off takes IPv4 calls as
// well (as ::ffff:a.b.c.d), so one default serves IPv4, dual-stack and IPv6-only clusters alike.

import { createServer } from 'node:net';
import type { Logger } from './log.js';

export const ANY_IPV6 = '::';
export const ANY_IPV4 = '0.0.0.0';

/** Why this machine cannot listen on `::` (a kernel without IPv6), or undefined when it can. */
export function ipv6Unavailable(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const trial = createServer();
    trial.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    trial.listen({ port: 0, host: ANY_IPV6, ipv6Only: false }, () => trial.close(() => resolve(undefined)));
  });
}

/**
 * HOST when it is set, else every address. Decided once for all of a process's servers, so the
 * probe port and the ports it serves on never disagree, and the fallback is logged once. Without
 * IPv6 the servers still start, on IPv4 only, rather than crash-loop in a cluster that never needed
 * IPv6.
 */
export async function listenHost(configured: string | undefined, logger: Logger, unavailable = ipv6Unavailable): Promise<string> {
  if (configured) return configured;
  const why = await unavailable();
  if (why === undefined) return ANY_IPV6;
  logger.warn('IPv6 is not available here: listening on IPv4 only', { host: ANY_IPV4, error: why });
  return ANY_IPV4;
}
