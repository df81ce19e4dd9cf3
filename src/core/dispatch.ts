// Dispatches: where a fenced workload's unknown calls go instead of the global sidecar (docs/design.md §3,
// §5.3). Read once per config, where every rule Envoy would enforce on the whole route configuration
// is checked up front: one bad dispatch must cost only itself, never the port's routes (Envoy rejects
// a route configuration with a duplicate domain or vhost name as a whole, and calls then fail).

import RE2 from 're2';
import { type Fields, type Issue, fieldPath } from './fields.js';
import { ISTIO_MAX_PROGRAM_SIZE, programSizeBound } from './re2/program-size.js';
import { type Template, compileTemplate } from './template.js';

export const GLOBAL_SIDECAR_CLUSTER = '_GLOBAL_SIDECAR';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
/** Virtual hosts of our own (and Istio's catch-all) that a dispatch must not shadow. */
const RESERVED_NAMES = new Set(['allow_all', 'allow_any', 'block_all']);

export type DispatchCluster = { kind: 'globalSidecar' } | { kind: 'passthrough' } | { kind: 'template'; template: Template };

export interface Dispatch {
  /** Where it was written, e.g. `spec.dispatches[2]`: how issues name it. */
  field: string;
  name: string;
  /** A virtual host of its own: exact, `*.suffix` or `prefix.*` domains. */
  domains: string[];
  /** Or a route inside `allow_all`, matching `:authority` with RE2. */
  domainRegex?: string;
  cluster: DispatchCluster;
}

/** The context a dispatch cluster template renders with (docs/design.md §5.3). */
export interface DispatchContext {
  fence: { name: string; namespace: string };
  port: number;
  globalSidecar: { namespace: string; port: number; host: string; cluster: string };
  values: unknown;
}

const label = (d: { field: string; name: string }): string => (d.name ? `dispatch ${JSON.stringify(d.name)}` : 'dispatch');

function clusterOf(f: Fields): DispatchCluster | string {
  const text = f.string('cluster', GLOBAL_SIDECAR_CLUSTER).trim() || GLOBAL_SIDECAR_CLUSTER;
  if (text === GLOBAL_SIDECAR_CLUSTER) return { kind: 'globalSidecar' };
  if (text === PASSTHROUGH_CLUSTER) return { kind: 'passthrough' };
  const template = compileTemplate(text);
  return typeof template === 'string' ? `cluster template does not compile: ${template}` : { kind: 'template', template };
}

/**
 * Why RE2 (Envoy's and Istio's regex engine) rejects a pattern; undefined when it accepts it. Envoy
 * also refuses a regex whose compiled program is over Istio's size limit, and with it the whole route
 * configuration. The re2 package rewrites some JavaScript syntax (`\u0041`, `\p{Letter}`) before RE2
 * sees it; the size check reads the pattern as Envoy's RE2 does, so it refuses those.
 */
export function regexProblem(regex: string): string | undefined {
  try {
    new RE2(regex);
  } catch (e) {
    return `not a valid RE2 pattern: ${(e as Error).message}`;
  }
  const bound = programSizeBound(regex);
  if (!bound.ok) {
    if (bound.refused) return `not a valid RE2 pattern: ${bound.message}`;
    return `not sizable: ${bound.message}, so it may be over the RE2 program size limit of ${ISTIO_MAX_PROGRAM_SIZE} Istio's proxy allows (re2.max_program_size.error_level)`;
  }
  if (bound.size <= ISTIO_MAX_PROGRAM_SIZE) return undefined;
  return (
    `too large: RE2 compiles it to a program of about ${bound.size} instructions, over the limit of ` +
    `${ISTIO_MAX_PROGRAM_SIZE} Istio's proxy allows (re2.max_program_size.error_level)`
  );
}

/**
 * Why Envoy cannot use a dispatch domain as meant; undefined when it can. Envoy rejects the whole
 * route configuration over a NUL, CR or LF. A `*` anywhere but alone at one end it reads as a literal
 * character, so the domain would silently never match: refused too, to make the mistake visible.
 */
export function domainProblem(domain: string): string | undefined {
  if (/[\0\r\n]/.test(domain)) return `domain ${JSON.stringify(domain)} holds a NUL, CR or LF; Envoy would reject the whole route configuration`;
  const stars = domain.split('*').length - 1;
  if (stars === 0 || (stars === 1 && (domain.startsWith('*') || domain.endsWith('*')))) return undefined;
  return `domain ${JSON.stringify(domain)} puts "*" where Envoy takes it literally, so it would never match: a wildcard is one "*" at the start (*.example.com) or at the end (example.*)`;
}

/** `spec.dispatches`: each bad one is reported (`… left out: why`) and dropped alone. */
export function readDispatches(spec: Fields): Dispatch[] {
  const out: Dispatch[] = [];
  const names = new Map<string, string>();
  const domains = new Map<string, string>();
  spec.items('dispatches').forEach((f) => {
    const name = f.string('name', '');
    const domainRegex = f.optionalString('domainRegex');
    const d = { field: f.path, name };
    const leaveOut = (key: string, why: string, index?: number) => {
      f.issues.push({ field: index === undefined ? f.at(key) : fieldPath(f.at(key), index), message: `${label(d)} left out: ${why}` });
    };
    const cluster = clusterOf(f);
    if (typeof cluster === 'string') return leaveOut('cluster', cluster);
    if (domainRegex !== undefined) {
      const problem = regexProblem(domainRegex);
      if (problem) return leaveOut('domainRegex', `domainRegex is ${problem}`);
      out.push({ ...d, domains: [], domainRegex, cluster });
      return;
    }
    const list = [...new Map(f.strings('domains').map((x) => [x.toLowerCase(), x])).values()];
    if (name === '') return leaveOut('name', 'a dispatch without domainRegex becomes a virtual host, which needs a name');
    if (RESERVED_NAMES.has(name)) return leaveOut('name', `${JSON.stringify(name)} is the name of a virtual host lazyload or Istio writes`);
    // Istio names each of its own vhosts `<host>:<port>`.
    if (name.includes(':')) return leaveOut('name', 'a name with ":" can be the name of a virtual host Istio writes (<host>:<port>); Envoy would reject the whole route configuration');
    if (names.has(name)) return leaveOut('name', `the name is taken by ${names.get(name)}; Envoy would reject the whole route configuration`);
    if (list.length === 0) return leaveOut('domains', 'needs at least one domain (or a domainRegex)');
    const star = f.list('domains').indexOf('*');
    if (star >= 0) {
      const why = 'domain "*" collides with allow_all, the catch-all lazyload writes; to send unknown calls to PassthroughCluster use passthroughByDefault';
      return leaveOut('domains', why, star);
    }
    const bad = list.map((x) => [x, domainProblem(x)] as const).find(([, problem]) => problem !== undefined);
    if (bad) return leaveOut('domains', bad[1] as string, f.list('domains').indexOf(bad[0]));
    // Envoy compares domains without case.
    const taken = list.find((x) => domains.has(x.toLowerCase()));
    if (taken !== undefined) {
      return leaveOut('domains', `domain ${JSON.stringify(taken)} is already routed by ${domains.get(taken.toLowerCase())}; Envoy would reject the whole route configuration`);
    }
    names.set(name, `${f.path} (${name})`);
    for (const x of list) domains.set(x.toLowerCase(), `${f.path} (${name})`);
    out.push({ ...d, domains: list, cluster });
  });
  return out;
}

function clusterNameProblem(name: string): string | undefined {
  if (name === '') return 'renders an empty cluster name';
  if (/\s/.test(name)) return `renders ${JSON.stringify(name)}, which holds white space`;
  return undefined;
}

export type ResolvedCluster = { kind: 'globalSidecar' } | { kind: 'cluster'; name: string };

export interface ResolvedDispatch {
  dispatch: Dispatch;
  /** One cluster per wormhole port, in port order. */
  clusters: ResolvedCluster[];
}

/**
 * The clusters of every dispatch for one fence, one per port. A template that fails on any port
 * leaves its dispatch out on every port: a dispatch means the same thing on all of them.
 */
export function resolveDispatches(dispatches: Dispatch[], contexts: DispatchContext[]): { resolved: ResolvedDispatch[]; issues: Issue[] } {
  const resolved: ResolvedDispatch[] = [];
  const issues: Issue[] = [];
  for (const dispatch of dispatches) {
    const { cluster } = dispatch;
    if (cluster.kind !== 'template') {
      const r: ResolvedCluster = cluster.kind === 'globalSidecar' ? cluster : { kind: 'cluster', name: PASSTHROUGH_CLUSTER };
      resolved.push({ dispatch, clusters: contexts.map(() => r) });
      continue;
    }
    const clusters: ResolvedCluster[] = [];
    for (const context of contexts) {
      const r = cluster.template.render(context);
      const problem = !r.ok ? r.error : clusterNameProblem(r.text);
      if (problem !== undefined) {
        issues.push({ field: `${dispatch.field}.cluster`, message: `${label(dispatch)} left out: cluster template fails for port ${context.port}: ${problem}` });
        break;
      }
      if (r.ok) clusters.push({ kind: 'cluster', name: r.text });
    }
    if (clusters.length === contexts.length) resolved.push({ dispatch, clusters });
  }
  return { resolved, issues };
}
