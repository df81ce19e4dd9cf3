// Where a forwarded call goes and which Service it counts for (docs/design.md §11). Fenced proxies send the
// address the caller dialled in `Slime-Orig-Dest` and who called in `Slime-Source-Ns` and
// `Slime-Source-Fence`; the `Host` says which service was meant.

import { isIP } from 'node:net';

export interface Address {
  /** A name or an IP literal (an IPv6 literal without its brackets). */
  host: string;
  port: number;
}

/** The metric name of a destination: a Service's FQDN, or the host as called for other names. */
export type Destination =
  | { kind: 'host'; name: string }
  /** `name.ns`: a Service only if cluster DNS knows `service`, else an external `name.ns`. */
  | { kind: 'ambiguous'; name: string; service: string };

const CLUSTER_SUFFIX = 'svc.cluster.local';
const PORT = /^[0-9]{1,5}$/;
// RFC 3986 reg-name characters a Host header may carry (no userinfo, no percent-encoding).
const REG_NAME = /^[A-Za-z0-9._~!$&'()*+,;=-]+$/;

function port(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** `host[:port]` or `[v6][:port]` as the Host header or an absolute-form URL carries it. */
export function parseAuthority(value: string): { host: string; port?: number } | undefined {
  let host = value;
  let portText: string | undefined;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    host = value.slice(1, end);
    const rest = value.slice(end + 1);
    if (isIP(host) !== 6 || (rest !== '' && !rest.startsWith(':'))) return undefined;
    if (rest !== '') portText = rest.slice(1);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon >= 0) [host, portText] = [value.slice(0, colon), value.slice(colon + 1)];
    if (!REG_NAME.test(host)) return undefined;
  }
  if (portText === undefined) return { host };
  const p = port(portText);
  return p === undefined ? undefined : { host, port: p };
}

/** `Slime-Orig-Dest`: the IP and port the caller dialled (Envoy's %DOWNSTREAM_LOCAL_ADDRESS%). */
export function parseOrigDest(value: string, listenPort: number): Address | string {
  const a = parseAuthority(value.trim());
  if (!a || isIP(a.host) === 0) return `invalid header Slime-Orig-Dest ${JSON.stringify(value)}: want ip:port, [ipv6]:port or an IP`;
  return { host: a.host, port: a.port ?? listenPort };
}

/** A dot-less host is a Service of the caller's namespace: say so, or the global sidecar's namespace wins. */
export const qualify = (host: string, sourceNamespace: string | undefined): string =>
  sourceNamespace !== undefined && !host.includes('.') && isIP(host) === 0 ? `${host}.${sourceNamespace}` : host;

/**
 * What the dependency metric names for a called host: a dot-less host is a Service of the caller's
 * namespace; IP literals are not counted (no Service to learn); names are compared without case or
 * a trailing dot, and other names stay as called.
 */
export function destinationOf(host: string, sourceNamespace: string): Destination | undefined {
  if (isIP(host) !== 0) return undefined;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === '') return undefined;
  const labels = name.split('.');
  if (labels.length === 1) return { kind: 'host', name: `${name}.${sourceNamespace}.${CLUSTER_SUFFIX}` };
  if (labels.length === 2) return { kind: 'ambiguous', name, service: `${name}.${CLUSTER_SUFFIX}` };
  // `name.ns.svc` can only be a Service.
  if (labels.length === 3 && labels[2] === 'svc') return { kind: 'host', name: `${name}.cluster.local` };
  return { kind: 'host', name };
}
