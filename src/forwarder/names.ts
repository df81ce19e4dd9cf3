// `name.ns` is either a Service (`name.ns.svc.cluster.local`) or an external name such as
// `example.com`. Cluster DNS knows which: ask it once per name, remember the answer a while, and
// never make a call wait for it (only the counting does).

import { lookup } from 'node:dns/promises';
import type { Destination } from './destination.js';

/** Whether a fully qualified name resolves; rejects only when DNS could not answer. */
export type Resolve = (fqdn: string) => Promise<boolean>;

export const resolveWithDns: Resolve = async (fqdn) => {
  try {
    // The trailing dot keeps the pod's search domains out of it.
    await lookup(`${fqdn}.`);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return false;
    throw e;
  }
};

export interface ClusterNames {
  /** The metric name of a destination, asking DNS for an ambiguous one. */
  nameOf(d: Destination): Promise<string>;
}

const FOUND_MS = 10 * 60_000;
// A Service created after a miss is counted under its FQDN within a minute.
const MISSED_MS = 60_000;
const MAX_NAMES = 10_000;

export function clusterNames(resolve: Resolve = resolveWithDns, now: () => number = Date.now): ClusterNames {
  const known = new Map<string, { service: boolean; until: number }>();
  const pending = new Map<string, Promise<boolean>>();
  const ask = (service: string): Promise<boolean> => {
    let p = pending.get(service);
    if (!p) {
      p = resolve(service)
        .then((found) => {
          if (known.size >= MAX_NAMES) known.clear();
          known.set(service, { service: found, until: now() + (found ? FOUND_MS : MISSED_MS) });
          return found;
        })
        // DNS trouble is not an answer: count the name as called, ask again next time.
        .catch(() => false)
        .finally(() => pending.delete(service));
      pending.set(service, p);
    }
    return p;
  };
  return {
    async nameOf(d) {
      if (d.kind === 'host') return d.name;
      const hit = known.get(d.service);
      const found = hit && hit.until > now() ? hit.service : await ask(d.service);
      return found ? d.service : d.name;
    },
  };
}
