// LazyloadConfig: the module settings (docs/design.md §3), read from the `default` object or built-in
// defaults when there is none. Field names follow Slime's `general` block so a SlimeBoot config can be
// pasted in; the Slime spellings of the global-sidecar settings are accepted too.

import { type AliasRules, compileAliases } from './alias.js';
import { compareBytes, sortBytewise } from '../protocol/canonical.js';
import { type Dispatch, readDispatches, regexProblem } from './dispatch.js';
import { Fields, type Issue, nameList } from './fields.js';
import { type JsonObject, type LabelSelector, isObject } from '../protocol/metacontroller.js';

export type GlobalSidecarMode = 'cluster' | 'namespace' | 'none';

export interface GlobalSidecarConfig {
  mode: GlobalSidecarMode;
  /** Cluster mode: where the one global sidecar runs. */
  namespace: string;
  /** Namespace mode: the namespaces that run their own global sidecar. */
  namespaces: string[];
  port: number;
  probePort: number;
  replicas: number;
  image?: string;
  resources?: JsonObject;
}

export interface PrometheusConfig {
  query?: string;
  window?: string;
  refreshSeconds: number;
  timeoutSeconds: number;
  /** Slime-style per-fence queries with `$source_app` / `$namespace`. */
  handlers: { name: string; query: string }[];
}

export interface LazyloadConfig {
  istioNamespace: string;
  controllerNamespace: string;
  serviceLabel: string;
  /** Validated, de-duplicated, in config order. */
  wormholePort: number[];
  globalSidecar: GlobalSidecarConfig;
  dispatches: Dispatch[];
  passthroughByDefault: boolean;
  supportH2: boolean;
  proxyVersion?: string;
  domainAliases: AliasRules;
  stableHost: string[];
  autoFence: boolean;
  defaultFence: boolean;
  managementSelectors: LabelSelector[];
  blackNamespaceList: string[];
  whiteNamespaceList: string[];
  selfResourceRev?: string;
  prometheus: PrometheusConfig;
  values: JsonObject;
}

export interface ParsedConfig {
  config: LazyloadConfig;
  /** Fields that were wrong; each was replaced by its default. */
  errors: Issue[];
  /** Fields we do not know (ignored). */
  warnings: Issue[];
}

const MODES: Record<string, GlobalSidecarMode> = { cluster: 'cluster', namespace: 'namespace', none: 'none', no: 'none' };
// Where the Istio sidecar listens itself (admin, capture, HBONE, health, DNS, stats): the forwarder
// could not bind them next to it.
const ISTIO_PROXY_PORTS = new Set([15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090]);
/** Two, so one keeps serving while the other is drained or rolled (docs/global-sidecar.md). */
export const DEFAULT_GLOBAL_SIDECAR_REPLICAS = 2;
/** Where the forwarder answers probes and serves /metrics, unless configured. */
export const DEFAULT_PROBE_PORT = 18181;
/** A DNS-1123 label: what Kubernetes accepts as a namespace name. */
export const isNamespaceName = (s: string): boolean => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s);
const PROM_DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

const KNOWN = [
  'istioNamespace', 'controllerNamespace', 'serviceLabel', 'wormholePort', 'globalSidecar', 'dispatches',
  'passthroughByDefault', 'supportH2', 'proxyVersion', 'domainAliases', 'stableHost', 'autoFence', 'defaultFence',
  'managementSelectors', 'blackNamespaceList', 'whiteNamespaceList', 'metric', 'values', 'selfResourceRev',
  // Slime spellings, accepted so that a SlimeBoot `general` block can be pasted in.
  'globalSidecarMode', 'clusterGsNamespace', 'namespace',
  // Slime settings that have no meaning here (no access-log source, ports are configured, not discovered,
  // no workload fences).
  'metricSourceType', 'autoPort', 'fenceLabelKeyAlias', 'render', 'cleanupWormholePort', 'enableShortDomain', 'disableIpv4Passthrough', 'addEnvHeaderViaLua',
];

function wormholePorts(f: Fields): number[] {
  const ports: number[] = [];
  f.list('wormholePort').forEach((p, i) => {
    const s = typeof p === 'number' ? String(p) : typeof p === 'string' ? p.trim() : '';
    const n = Number(s);
    if (ISTIO_PROXY_PORTS.has(n)) {
      f.issues.push({ field: `${f.at('wormholePort')}[${i}]`, message: `${n} is a port Istio's proxy listens on itself; ignored` });
    } else if (/^\d+$/.test(s) && n >= 1 && n <= 65535) {
      if (!ports.includes(n)) ports.push(n);
    } else f.issues.push({ field: `${f.at('wormholePort')}[${i}]`, message: `must be a port number from 1 to 65535, got ${JSON.stringify(p)}` });
  });
  return ports;
}

function globalSidecar(spec: Fields, controllerNamespace: string): GlobalSidecarConfig {
  const gs = spec.child('globalSidecar');
  const rawMode = gs.has('mode') ? gs.string('mode', 'cluster') : spec.string('globalSidecarMode', 'cluster');
  const mode = MODES[rawMode === '' ? 'cluster' : rawMode];
  if (!mode) gs.report('mode', `must be one of cluster, namespace, none (got ${JSON.stringify(rawMode)})`);
  let namespace = gs.optionalString('namespace') ?? spec.optionalString('clusterGsNamespace') ?? controllerNamespace;
  if (!isNamespaceName(namespace)) {
    gs.report('namespace', `${JSON.stringify(namespace)} is not a namespace name; the controller namespace is used`);
    namespace = controllerNamespace;
  }
  const resources = gs.obj.resources;
  if (resources !== undefined && !isObject(resources)) gs.report('resources', 'must be an object of Kubernetes resource requirements');
  // Name the field in the spelling the user wrote: Slime's top-level `namespace` for a pasted block.
  const slime = !gs.has('namespaces') && (spec.has('namespace') || (!gs.has('mode') && spec.has('globalSidecarMode')));
  const [where, key] = slime ? [spec, 'namespace'] : [gs, 'namespaces'];
  const namespaces = where.strings(key).filter((ns, i) => {
    const ok = isNamespaceName(ns);
    if (!ok) where.issues.push({ field: `${where.at(key)}[${i}]`, message: `${JSON.stringify(ns)} is not a namespace name; ignored` });
    return ok;
  });
  if (mode === 'namespace' && namespaces.length === 0) {
    where.report(key, 'namespace mode runs a global sidecar only in the namespaces listed here, and none are: no fence gets one');
  }
  return {
    mode: mode ?? 'cluster',
    namespace,
    namespaces,
    port: gs.integer('port', 80, 1, 65535),
    probePort: gs.integer('probePort', DEFAULT_PROBE_PORT, 1, 65535),
    replicas: gs.integer('replicas', DEFAULT_GLOBAL_SIDECAR_REPLICAS, 0, 1000),
    image: gs.optionalString('image'),
    resources: isObject(resources) ? (resources as JsonObject) : undefined,
  };
}

// Istio refuses an EnvoyFilter whose proxyVersion does not compile, and with it every patch.
function proxyVersion(spec: Fields): string | undefined {
  const version = spec.optionalString('proxyVersion');
  const problem = version === undefined ? undefined : regexProblem(version);
  if (problem) spec.report('proxyVersion', `${problem}; ignored, so the patches apply to every proxy version`);
  return problem ? undefined : version;
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
type Operator = (typeof OPERATORS)[number];
const isOperator = (s: string): s is Operator => (OPERATORS as readonly string[]).includes(s);

// Checked as the API server checks a LabelSelector: a selector it would refuse must not quietly
// select something else.
function selectors(spec: Fields): LabelSelector[] {
  return spec.items('managementSelectors').map((s) => {
    const selector: LabelSelector = {};
    if (s.has('matchLabels')) selector.matchLabels = s.stringMap('matchLabels');
    if (s.has('matchExpressions')) {
      selector.matchExpressions = s.items('matchExpressions').map((e) => {
        const key = e.string('key', '');
        if (key === '') e.report('key', 'must be a non-empty label key');
        const operator = e.string('operator', '');
        const values = e.strings('values');
        if (!isOperator(operator)) e.report('operator', `must be In, NotIn, Exists or DoesNotExist (got ${JSON.stringify(operator)})`);
        else if ((operator === 'In' || operator === 'NotIn') && values.length === 0) e.report('values', `${operator} needs at least one value`);
        else if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) e.report('values', `${operator} takes no values`);
        return { key, operator: isOperator(operator) ? operator : 'In', values };
      });
    }
    return selector;
  });
}

// Exact names, as in Slime; only white space around the commas is dropped, since no namespace name
// holds any.
function namespaceList(spec: Fields, key: string): string[] {
  return nameList(spec, key).filter((name) => {
    if (!isNamespaceName(name)) spec.report(key, `${JSON.stringify(name)} is not a namespace name; ignored`);
    return isNamespaceName(name);
  });
}

/** A Kubernetes label value: the `istio.io/rev` label carries it. */
const isLabelValue = (s: string): boolean => s.length <= 63 && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(s);

function selfResourceRev(spec: Fields): string | undefined {
  const rev = spec.optionalString('selfResourceRev');
  if (rev === undefined || isLabelValue(rev)) return rev;
  spec.report('selfResourceRev', `${JSON.stringify(rev)} is not a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit); ignored`);
  return undefined;
}

// Slime writes handlers as a map name → {query, type}; a list of {name, query} is accepted too.
function handlers(p: Fields): PrometheusConfig['handlers'] {
  const read = (name: string, h: Fields) => {
    const query = h.string('query', '');
    if (query === '') h.report('query', 'must be a non-empty PromQL query');
    return { name, query };
  };
  const list = Array.isArray(p.obj.handlers)
    ? p.items('handlers').map((h, i) => read(h.string('name', String(i)), h))
    : sortBytewise(Object.keys(p.child('handlers').obj)).map((name) => read(name, p.child('handlers').child(name)));
  return list.filter((h) => h.query !== '');
}

function prometheus(spec: Fields): PrometheusConfig {
  const p = spec.child('metric').child('prometheus');
  let window = p.optionalString('window') || undefined;
  if (window !== undefined && !PROM_DURATION.test(window)) {
    p.report('window', `must be a Prometheus duration such as 1h or 30m (got ${JSON.stringify(window)})`);
    window = undefined;
  }
  return {
    query: p.optionalString('query'),
    window,
    refreshSeconds: p.integer('refreshSeconds', 15, 1, 86400),
    timeoutSeconds: p.integer('timeoutSeconds', 2, 1, 8),
    handlers: handlers(p),
  };
}

/** Read a LazyloadConfig `spec` (absent: every default). Never throws. */
export function parseConfig(specValue: unknown, path = 'spec'): ParsedConfig {
  const errors: Issue[] = [];
  const spec = Fields.of(specValue, path, errors);
  const controllerNamespace = spec.string('controllerNamespace', 'mesh-operator') || 'mesh-operator';
  const values = spec.obj.values;
  if (values !== undefined && values !== null && !isObject(values)) spec.report('values', 'must be an object');
  const config: LazyloadConfig = {
    istioNamespace: spec.string('istioNamespace', 'istio-system') || 'istio-system',
    controllerNamespace,
    serviceLabel: spec.string('serviceLabel', 'app') || 'app',
    wormholePort: wormholePorts(spec),
    globalSidecar: globalSidecar(spec, controllerNamespace),
    dispatches: readDispatches(spec),
    passthroughByDefault: spec.boolean('passthroughByDefault', false),
    supportH2: spec.boolean('supportH2', false),
    proxyVersion: proxyVersion(spec),
    domainAliases: compileAliases(spec),
    stableHost: spec.strings('stableHost'),
    autoFence: spec.boolean('autoFence', false),
    defaultFence: spec.boolean('defaultFence', false),
    managementSelectors: selectors(spec),
    blackNamespaceList: namespaceList(spec, 'blackNamespaceList'),
    whiteNamespaceList: namespaceList(spec, 'whiteNamespaceList'),
    selfResourceRev: selfResourceRev(spec),
    prometheus: prometheus(spec),
    values: isObject(values) ? (values as JsonObject) : {},
  };
  const gs = config.globalSidecar;
  for (const key of ['port', 'probePort'] as const) {
    if (ISTIO_PROXY_PORTS.has(gs[key])) {
      spec.child('globalSidecar').report(key, `${gs[key]} is a port Istio's proxy listens on itself; the default is used`);
      gs[key] = key === 'port' ? 80 : DEFAULT_PROBE_PORT;
    }
  }
  if (gs.probePort === gs.port || config.wormholePort.includes(gs.probePort)) {
    spec.child('globalSidecar').report('probePort', `${gs.probePort} is also a wormhole port; the default ${DEFAULT_PROBE_PORT} is used`);
    gs.probePort = DEFAULT_PROBE_PORT;
  }
  // Sorted: the order of a map's keys must never change an answer.
  const warnings = spec.unknownKeys(KNOWN).map((key) => ({ field: spec.at(key), message: 'unknown field, ignored' }));
  if (spec.has('fenceLabelKeyAlias')) {
    warnings.push({ field: spec.at('fenceLabelKeyAlias'), message: 'workload fences are not made here: auto-fence makes one fence per Service; ignored' });
  }
  if (spec.obj.autoPort === true) {
    warnings.push({ field: spec.at('autoPort'), message: 'ports are not discovered from Services here: list every port your workloads call in wormholePort' });
  }
  // In field order: the order of a map's keys must never change an answer.
  warnings.sort((a, b) => compareBytes(a.field, b.field));
  return { config, errors, warnings };
}

// Parsing compiles RE2 patterns; every fence of a sync storm carries the same config, so remember a
// few recent ones by their text.
const recent = new Map<string, ParsedConfig>();

export function parseConfigCached(spec: unknown): ParsedConfig {
  const key = JSON.stringify(spec ?? null);
  const hit = recent.get(key);
  if (hit) return hit;
  const parsed = parseConfig(spec);
  if (recent.size >= 16) recent.delete(recent.keys().next().value as string);
  recent.set(key, parsed);
  return parsed;
}
