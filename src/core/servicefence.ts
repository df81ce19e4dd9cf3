// The servicefence controller's core: from a fence and what Metacontroller observed, the fence's
// status and its Sidecar. Pure: the learned dependencies and `now` are handed in. Two steps, so the
// hook can ask the dependency sources about the workload `planFence` identified.

import { type ConditionJudgement, settleConditions } from './conditions.js';
import { type LazyloadConfig, type ParsedConfig, parseConfigCached } from './config.js';
import { type FenceSource, type Learned, dependenciesAmong, hostsOfMetricStatus, metricStatusOf, sameHosts } from './dependency.js';
import { encodeDomains, freshDomains, learnedNames, previousDomains, reachable, withGracePeriod } from './domain.js';
import { buildToGlobalSidecar } from './envoyfilter.js';
import { type FenceSpec, type ServiceFenceStatus, parseFenceSpec, secondsToNextExpiry } from './fence.js';
import { type Issue, formatIssues } from './fields.js';
import { type CompositeSyncResponse, type KObject, isObject } from '../protocol/metacontroller.js';
import type { GlobalSidecar } from './globalsidecar.js';
import { type Routing, routeUnknownCalls, withoutSidecarCollisions } from './routing.js';
import { REV_LABEL, type WorkloadSelection, buildSidecar, egressHosts, selectWorkload } from './sidecar.js';
import { type Sharing, shareWorkload, sharingConditions } from './workload-sharing.js';

export interface FenceRequest {
  fence: KObject;
  /** Related Services: the fence's own and the label-selected ones (any namespace). */
  services: KObject[];
  /** The LazyloadConfig named `default`; absent: built-in defaults. */
  lazyloadConfig?: KObject;
  /** The namespace's ServiceFences, for the fences that fence the same pods (docs/design.md §5.4). */
  fences?: KObject[];
  /** The fence's Sidecar as Metacontroller observed it. */
  observedSidecar?: KObject;
  /** Whether a global sidecar has a ready endpoint: the EnvoyFilter waits for one. */
  isGlobalSidecarReady: (globalSidecar: GlobalSidecar) => boolean;
  sidecarApiVersion: string;
  envoyFilterApiVersion: string;
}

export interface FencePlan {
  name: string;
  namespace: string;
  rev?: string;
  spec: FenceSpec;
  config: LazyloadConfig;
  configFound: boolean;
  issues: { spec: Issue[]; config: Issue[] };
  selection: WorkloadSelection;
  selectedHosts: string[];
  source: FenceSource;
  previous: Record<string, unknown>;
  sidecarApiVersion: string;
  envoyFilterApiVersion: string;
  routing: Routing;
  sharing: Sharing;
}

const serviceHost = (svc: KObject): string => `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`;

function matchesAny(labels: Record<string, string> | undefined, selectors: Record<string, string>[]): boolean {
  // An empty item matches nothing: Slime's rule, and the safe one (it would select every Service).
  return selectors.some((sel) => {
    const entries = Object.entries(sel);
    return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
  });
}

export function planFence(req: FenceRequest): FencePlan {
  const { name, namespace = '' } = req.fence.metadata;
  const specIssues: Issue[] = [];
  const spec = parseFenceSpec(req.fence.spec, specIssues);
  const parsed: ParsedConfig = parseConfigCached(isObject(req.lazyloadConfig?.spec) ? req.lazyloadConfig.spec : undefined);
  const config = parsed.config;
  const ownService = req.services.find((s) => s.metadata.namespace === namespace && s.metadata.name === name);
  const selection = selectWorkload(spec, name, config, ownService, req.observedSidecar);
  const rev = req.fence.metadata.labels?.[REV_LABEL] || undefined;
  const sharing = shareWorkload({
    name,
    namespace,
    rev,
    enabled: spec.enable,
    visibleSelector: selectWorkload(spec, name, config, ownService, undefined).labels,
    fences: req.fences ?? [],
    services: req.services,
    config,
  });
  const selectedHosts = req.services.filter((s) => matchesAny(s.metadata.labels, spec.labelSelector)).map(serviceHost);
  return {
    name,
    namespace,
    rev,
    spec,
    config,
    configFound: req.lazyloadConfig !== undefined,
    issues: { spec: specIssues, config: parsed.errors },
    selection,
    selectedHosts,
    source: { namespace, app: selection.labels?.[config.serviceLabel] ?? name, fence: name },
    previous: isObject(req.fence.status) ? req.fence.status : {},
    sidecarApiVersion: req.sidecarApiVersion,
    envoyFilterApiVersion: req.envoyFilterApiVersion,
    routing: routeUnknownCalls(config, { name, namespace }, req.isGlobalSidecarReady),
    sharing,
  };
}

function configValid(plan: FencePlan, routing: Routing): ConditionJudgement {
  const configIssues = [...plan.issues.config, ...routing.issues];
  const problems = [...plan.issues.spec, ...configIssues.map((i) => ({ ...i, field: `LazyloadConfig default: ${i.field}` }))];
  const source = plan.configFound ? 'LazyloadConfig default' : 'built-in defaults (no LazyloadConfig default)';
  if (problems.length === 0) return { type: 'ConfigValid', status: 'True', reason: 'Valid', message: `spec is valid; settings from ${source}` };
  return { type: 'ConfigValid', status: 'False', reason: 'InvalidFields', message: `${formatIssues(problems)} (the rest of the configuration applies)` };
}

function dependencyCondition(learned: Learned): ConditionJudgement | undefined {
  if (learned.kind === 'unconfigured') return undefined;
  if (learned.kind === 'answered') return { type: 'DependencySourceAvailable', status: 'True', reason: 'Answered', message: 'every dependency source answered' };
  return { type: 'DependencySourceAvailable', status: 'False', reason: learned.reason, message: `${learned.message}; learned dependencies are kept as they were` };
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

export function renderFence(plan: FencePlan, learned: Learned, now: Date): CompositeSyncResponse<ServiceFenceStatus> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const previousLearned = hostsOfMetricStatus(plan.previous.metricStatus);
  const learnedHosts = learned.kind === 'answered' ? dependenciesAmong(learned.hosts) : previousLearned;
  const fresh = freshDomains({
    staticHosts: plan.spec.hosts,
    namespaces: plan.spec.namespaces,
    selectedHosts: plan.selectedHosts,
    learnedHosts,
    aliases: plan.config.domainAliases,
    nowSeconds,
  });
  const domains = withGracePeriod({
    fresh,
    previous: previousDomains(plan.previous.domains),
    previouslyLearned: learnedNames(previousLearned, plan.config.domainAliases),
    learnedChanged: !sameHosts(learnedHosts, previousLearned),
  });

  const { group, memberReach } = plan.sharing;
  const reach = reachable(domains);
  // An owner's Sidecar holds its members' hosts too (docs/design.md §5.4).
  const sidecarHosts = egressHosts(plan.config, plan.namespace, {
    namespaces: [...reach.namespaces, ...memberReach.namespaces],
    hosts: [...reach.hosts, ...memberReach.hosts],
  });
  // Dispatch domains Istio may already route for a host the Sidecar shows stay out (docs/design.md §5.3).
  const routes = withoutSidecarCollisions(plan.routing, sidecarHosts, plan.namespace);
  const judgements = [configValid(plan, routes), dependencyCondition(learned), plan.selection.serviceFound, routes.condition, ...sharingConditions(group)].filter(
    (c): c is ConditionJudgement => c !== undefined,
  );
  // Keys in bytewise order, as they are written out.
  const status: ServiceFenceStatus = { conditions: settleConditions(judgements, plan.previous.conditions, now) };
  if (domains.size > 0) status.domains = encodeDomains(domains);
  const metricStatus = learned.kind === 'answered' ? metricStatusOf(learnedHosts) : stringMap(plan.previous.metricStatus);
  if (Object.keys(metricStatus).length > 0) status.metricStatus = metricStatus;

  const children: KObject[] = [];
  const selector = plan.selection.labels;
  // A member's pods are the owner's to fence: it writes neither child (docs/design.md §5.4).
  if (plan.spec.enable && selector && group?.role !== 'member') {
    children.push(
      buildSidecar({
        apiVersion: plan.sidecarApiVersion,
        name: plan.name,
        namespace: plan.namespace,
        rev: plan.rev,
        selector,
        hosts: sidecarHosts,
      }),
    );
    if (routes.globalSidecar) {
      children.push(
        buildToGlobalSidecar({
          apiVersion: plan.envoyFilterApiVersion,
          fence: { name: plan.name, namespace: plan.namespace },
          rev: plan.rev,
          selector,
          globalSidecar: routes.globalSidecar,
          ports: routes.ports,
          dispatches: routes.dispatches,
          passthroughByDefault: plan.config.passthroughByDefault,
          proxyVersion: plan.config.proxyVersion,
        }),
      );
    }
  }

  const response: CompositeSyncResponse<ServiceFenceStatus> = { children, status };
  const waits = [secondsToNextExpiry(plan.spec.hosts, now.getTime())];
  if (learned.kind !== 'unconfigured') waits.push(learned.refreshInSeconds ?? plan.config.prometheus.refreshSeconds);
  const resync = Math.min(...waits.filter((w): w is number => w !== undefined));
  if (Number.isFinite(resync)) response.resyncAfterSeconds = resync;
  return response;
}
