// One request's forwarding plan, from what arrived to what goes upstream: where to connect, the
// path and headers to send, and whom to credit with the call. Pure, so every header rule is
// tested without a socket.

import { isNamespaceName } from '../core/config.js';
import { type Address, type Destination, destinationOf, parseAuthority, parseOrigDest, qualify } from './destination.js';

export interface Arrived {
  method: string;
  /** The request target as sent: origin-form `/path?q` or absolute-form `http://host/path`. */
  url: string;
  /** Node's `rawHeaders`: names and values in turn, as received. */
  rawHeaders: string[];
  /** The wormhole port the request came in on. */
  listenPort: number;
  /** An Upgrade (WebSocket) request, tunnelled as is: its Connection and Upgrade headers stay. */
  upgrade: boolean;
}

export interface Source {
  namespace: string;
  fence: string;
}

export interface Plan {
  to: Address;
  path: string;
  /** Names and values in turn, in arrival order, minus Slime-* and hop-by-hop headers. */
  headers: string[];
  /** Whom the dependency metric credits; undefined when the fenced proxy did not say. */
  source?: Source;
  destination?: Destination;
}

export interface Rejection {
  /** 400: the request cannot be placed; 508: it already came through a forwarder (a loop). */
  status: 400 | 508;
  message: string;
}

// Hop-by-hop (RFC 9110 §7.6.1): they describe the connection to us, not the one we open. Node frames
// the body again, undici manages keep-alive; `te: trailers` is re-sent by the rule below. Node has
// already answered `expect: 100-continue`, so the body is on its way and upstream need not wait.
// `trailer` announces request trailers, which undici cannot send: not announcing them is honest.
const HOP_BY_HOP = new Set(['connection', 'expect', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const TUNNEL_KEEPS = new Set(['connection', 'upgrade']);
// A Kubernetes object name (DNS subdomain), what a fence name is.
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const reject = (message: string): Rejection => ({ status: 400, message });

/**
 * Our `Via` pseudonym (RFC 9110 §7.6.3). No call passes two forwarders (the global sidecar's pod is
 * never fenced), so a request that already names it is a loop: a call to the global sidecar's own
 * Service, sent back to it again and again until sockets run out.
 */
export const VIA = '1.1 lazyload';
const cameThroughUs = (via: string): boolean => via.split(',').some((hop) => hop.trim().split(/\s+/)[1] === 'lazyload');

/** Names listed in `Connection` are hop-by-hop too. */
function connectionTokens(raw: string[]): Set<string> {
  const tokens = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1].split(',')) tokens.add(t.trim().toLowerCase());
  }
  return tokens;
}

/** The authority and origin-form path of the request target. */
function target(url: string): { authority?: string; path: string } | Rejection {
  if (url.startsWith('/')) return { path: url };
  const absolute = /^http:\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (absolute) return { authority: absolute[1], path: absolute[2].startsWith('/') ? absolute[2] : `/${absolute[2]}` };
  return reject(`cannot forward the request target ${JSON.stringify(url.slice(0, 200))}: want /path or http://host/path`);
}

export function planForward(a: Arrived): Plan | Rejection {
  const t = target(a.url);
  if ('status' in t) return t;
  const listed = connectionTokens(a.rawHeaders);
  const slime: Record<string, string> = {};
  const headers: string[] = [];
  let host: string | undefined = t.authority;
  let hostAt = -1;
  let hosts = 0;
  let loop = false;
  for (let i = 0; i < a.rawHeaders.length; i += 2) {
    const name = a.rawHeaders[i];
    const value = a.rawHeaders[i + 1];
    const lower = name.toLowerCase();
    if (lower.startsWith('slime-')) {
      slime[lower] = value;
    } else if (lower === 'host') {
      hosts++;
      // An absolute-form target overrides the Host header (RFC 9112 §3.2.2).
      host ??= value;
      hostAt = headers.length;
      headers.push(name, value);
    } else if (lower === 'via') {
      loop ||= cameThroughUs(value);
      headers.push(name, value);
    } else if (lower === 'te') {
      if (/(^|,)\s*trailers\s*(;|,|$)/i.test(value)) headers.push(name, 'trailers');
    } else if ((a.upgrade && TUNNEL_KEEPS.has(lower)) || !(HOP_BY_HOP.has(lower) || listed.has(lower))) {
      headers.push(name, value);
    }
  }
  if (loop) return { status: 508, message: `the request already came through a forwarder (Via: ${VIA}): a loop, not forwarded again` };
  if (hosts > 1) return reject('more than one Host header');
  headers.push('Via', VIA);

  const sourceNs = slime['slime-source-ns'] || undefined;
  if (sourceNs !== undefined && !isNamespaceName(sourceNs)) return reject(`invalid header Slime-Source-Ns ${JSON.stringify(sourceNs)}: not a namespace name`);
  const fence = slime['slime-source-fence'] || undefined;
  if (fence !== undefined && !OBJECT_NAME.test(fence)) return reject(`invalid header Slime-Source-Fence ${JSON.stringify(fence)}: not an object name`);

  const source = sourceNs && fence ? { namespace: sourceNs, fence } : undefined;
  // An empty Host (allowed for targets without an authority) names nothing.
  const authority = host ? parseAuthority(host) : undefined;
  if (host && !authority) return reject(`invalid Host ${JSON.stringify(host)}`);
  let to: Address | undefined;
  if (slime['slime-orig-dest']) {
    const dest = parseOrigDest(slime['slime-orig-dest'], a.listenPort);
    if (typeof dest === 'string') return reject(dest);
    to = dest;
  }
  if (!authority) {
    if (!to) return reject('no destination: the request has neither a Slime-Orig-Dest nor a Host header');
    return source ? { to, path: t.path, headers, source } : { to, path: t.path, headers };
  }

  const name = qualify(authority.host, sourceNs);
  if (name !== authority.host || t.authority !== undefined) {
    const hostPart = name.includes(':') ? `[${name}]` : name;
    const value = authority.port === undefined ? hostPart : `${hostPart}:${authority.port}`;
    if (hostAt >= 0) headers[hostAt + 1] = value;
    else headers.unshift('Host', value);
  }
  const plan: Plan = { to: to ?? { host: name, port: authority.port ?? a.listenPort }, path: t.path, headers };
  if (source) {
    plan.source = source;
    plan.destination = destinationOf(authority.host, source.namespace);
  }
  return plan;
}
