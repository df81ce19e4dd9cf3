// The objects that run one global sidecar (docs/design.md §6): the forwarder's Deployment with its
// ServiceAccount, the Service fenced proxies route unknown calls to, the ConfigMap with the ports it
// listens on, the PodDisruptionBudget that keeps it serving through a node drain, the DestinationRule
// that keeps HTTP/2 end to end, and the EnvoyFilter that lets destinations credit the original caller
// instead of the global sidecar.

import type { LazyloadConfig } from './config.js';
import { GLOBAL_SIDECAR_NAME, type GlobalSidecar } from './globalsidecar.js';
import type { KObject } from '../protocol/metacontroller.js';

/** The image when the config names none: this release of lazyload, which serves `lazyload forwarder`. */
export const DEFAULT_GLOBAL_SIDECAR_IMAGE = 'lazyload:0.1.0';
export const PORTS_FILE_DIR = '/etc/lazyload/global-sidecar';
export const PORTS_FILE_KEY = 'cfg';
export const METADATA_EXCHANGE_REMOVE = 'global-sidecar-metadata-exchange-remove';
/** Proxy metadata that marks the global sidecar's own proxy (Slime's value, so Slime's filters still match). */
export const SLIME_APP = { key: 'SLIME_APP', value: 'LAZYLOAD_GLOBAL_SIDECAR' };

const DEFAULT_RESOURCES = { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '200m', memory: '200Mi' } };
const APP = { app: GLOBAL_SIDECAR_NAME };

export const DESTINATION_RULE = { group: 'networking.istio.io', resource: 'destinationrules', version: 'networking.istio.io/v1' };
export const POD_DISRUPTION_BUDGET = { group: 'policy', resource: 'poddisruptionbudgets', version: 'policy/v1' };

export interface ChildVersions {
  destinationRule: string;
  envoyFilter: string;
  podDisruptionBudget: string;
}

// Losing the last ready pod withdraws every fence's EnvoyFilter (docs/global-sidecar.md): spread the
// pods over nodes and zones. ScheduleAnyway, so a one-node or one-zone cluster still runs them all.
// No `matchLabelKeys: [pod-template-hash]`: before Kubernetes 1.27 it sits behind a feature gate that
// is off, the API server drops it, and Metacontroller would rewrite the Deployment at every sync.
const topologySpread = () =>
  ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
    labelSelector: { matchLabels: { ...APP } },
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
  }));

/** `wormholePorts:` as YAML, what the forwarder reads from its ConfigMap. */
export const portsFile = (ports: number[]): string => `wormholePorts:\n${ports.map((p) => `- ${p}\n`).join('')}`;

const meta = (gs: GlobalSidecar, name = GLOBAL_SIDECAR_NAME, labels?: Record<string, string>) =>
  labels ? { labels, name, namespace: gs.namespace } : { name, namespace: gs.namespace };

function deployment(config: LazyloadConfig, gs: GlobalSidecar, ports: number[], defaultImage: string): KObject {
  const { probePort, replicas, image, resources } = config.globalSidecar;
  // Injected, or it forwards without telemetry and lazy loading never learns (Slime #479).
  const injection: Record<string, string> = config.selfResourceRev ? { 'istio.io/rev': config.selfResourceRev } : { 'sidecar.istio.io/inject': 'true' };
  const probe = (path: string) => ({ httpGet: { path, port: probePort }, periodSeconds: 5 });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(gs, GLOBAL_SIDECAR_NAME, { ...APP }),
    spec: {
      replicas,
      selector: { matchLabels: { ...APP } },
      template: {
        metadata: {
          annotations: {
            // Istio merges these app metrics into its own scrape: the forwarder's dependency counter.
            'prometheus.io/path': '/metrics',
            'prometheus.io/port': String(probePort),
            'prometheus.io/scrape': 'true',
            'proxy.istio.io/config': `proxyMetadata:\n  ISTIO_META_${SLIME_APP.key}: ${SLIME_APP.value}\n`,
          },
          labels: { ...APP, ...injection },
        },
        spec: {
          containers: [
            {
              args: ['forwarder'],
              env: [
                { name: 'WORMHOLE_PORTS_FILE', value: `${PORTS_FILE_DIR}/${PORTS_FILE_KEY}` },
                { name: 'PROBE_PORT', value: String(probePort) },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              image: image ?? defaultImage,
              imagePullPolicy: 'IfNotPresent',
              livenessProbe: probe('/healthz/live'),
              name: GLOBAL_SIDECAR_NAME,
              ports: [
                ...ports.map((p) => ({ containerPort: p, name: `http-${p}`, protocol: 'TCP' })),
                { containerPort: probePort, name: 'probe', protocol: 'TCP' },
              ],
              readinessProbe: probe('/healthz/ready'),
              resources: resources ?? DEFAULT_RESOURCES,
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
              volumeMounts: [{ mountPath: PORTS_FILE_DIR, name: 'ports', readOnly: true }],
            },
          ],
          // The forwarder never calls the API server. Istio's proxy authenticates to istiod with its own
          // projected `istio-token` volume, which this does not remove.
          automountServiceAccountToken: false,
          securityContext: {
            runAsGroup: 1000,
            runAsNonRoot: true,
            runAsUser: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
            // Wormhole ports are service ports such as 80: let the non-root forwarder bind them.
            sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
          },
          serviceAccountName: GLOBAL_SIDECAR_NAME,
          topologySpreadConstraints: topologySpread(),
          volumes: [{ configMap: { name: GLOBAL_SIDECAR_NAME }, name: 'ports' }],
        },
      },
    },
  };
}

/**
 * At most one pod evicted at a time: with two or more replicas one keeps serving through a drain; with
 * one, a drain still goes ahead (minAvailable: 1 would block it for good). Emitted at 0 replicas too,
 * where it guards nothing and blocks nothing, so scaling never adds or removes an object.
 */
function podDisruptionBudget(gs: GlobalSidecar, apiVersion: string): KObject {
  return {
    apiVersion,
    kind: 'PodDisruptionBudget',
    metadata: meta(gs, GLOBAL_SIDECAR_NAME, { ...APP }),
    spec: { maxUnavailable: 1, selector: { matchLabels: { ...APP } } },
  };
}

function service(gs: GlobalSidecar, ports: number[]): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    // `serviceFenced: "false"`: auto-fence must never fence the global sidecar itself.
    metadata: meta(gs, GLOBAL_SIDECAR_NAME, { ...APP, service: GLOBAL_SIDECAR_NAME, 'slime.io/serviceFenced': 'false' }),
    spec: {
      ports: ports.map((p) => ({ name: `http-${p}`, port: p, protocol: 'TCP', targetPort: p })),
      selector: { ...APP },
      type: 'ClusterIP',
    },
  };
}

function metadataExchangeRemove(gs: GlobalSidecar, apiVersion: string, rev: string | undefined): KObject {
  const patch = (context: string) => ({
    applyTo: 'HTTP_FILTER',
    match: {
      context,
      listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'istio.metadata_exchange' } } } },
      proxy: { metadata: { [SLIME_APP.key]: SLIME_APP.value } },
    },
    patch: { operation: 'REMOVE' },
  });
  return {
    apiVersion,
    kind: 'EnvoyFilter',
    // Scoped to the revision the global sidecar runs, as Slime labels the filters it writes.
    metadata: meta(gs, METADATA_EXCHANGE_REMOVE, rev ? { 'istio.io/rev': rev } : undefined),
    spec: { configPatches: ['SIDECAR_INBOUND', 'SIDECAR_OUTBOUND', 'GATEWAY'].map(patch) },
  };
}

/** Every object of the global sidecar in one namespace, in a fixed order. */
export function globalSidecarObjects(
  config: LazyloadConfig,
  gs: GlobalSidecar,
  ports: number[],
  versions: ChildVersions,
  defaultImage = DEFAULT_GLOBAL_SIDECAR_IMAGE,
): KObject[] {
  const objects: KObject[] = [
    { apiVersion: 'v1', automountServiceAccountToken: false, kind: 'ServiceAccount', metadata: meta(gs, GLOBAL_SIDECAR_NAME, { ...APP }) },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: { [PORTS_FILE_KEY]: portsFile(ports) },
      metadata: meta(gs, GLOBAL_SIDECAR_NAME, { 'lazyload.slime.io/config': GLOBAL_SIDECAR_NAME }),
    },
    service(gs, ports),
    deployment(config, gs, ports, defaultImage),
    podDisruptionBudget(gs, versions.podDisruptionBudget),
  ];
  if (config.supportH2) {
    objects.push({
      apiVersion: versions.destinationRule,
      kind: 'DestinationRule',
      metadata: meta(gs),
      spec: { host: gs.host, trafficPolicy: { connectionPool: { http: { useClientProtocol: true } } } },
    });
  }
  objects.push(metadataExchangeRemove(gs, versions.envoyFilter, config.selfResourceRev));
  return objects;
}
