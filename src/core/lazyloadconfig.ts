// The lazyloadconfig controller's core (docs/design.md §6): from the LazyloadConfig, the global-sidecar
// objects of every namespace the mode names, and a status that says what was rendered and lists every
// config error by field. Pure: the clock is handed in.

import { type ConditionJudgement, type Condition, settleConditions } from './conditions.js';
import { type LazyloadConfig, parseConfigCached } from './config.js';
import { type Issue, formatIssues } from './fields.js';
import { type ChildVersions, globalSidecarObjects } from './globalsidecar-objects.js';
import { globalSidecarIn, globalSidecarNamespaces, wormholePorts } from './globalsidecar.js';
import { FENCE_API_VERSION } from './fence.js';
import { type CompositeSyncResponse, type KObject, type RelatedResourceRule, isObject } from '../protocol/metacontroller.js';
import { routeUnknownCalls } from './routing.js';

/** The only LazyloadConfig the hooks read. */
export const CONFIG_NAME = 'default';
/** How a customize hook asks Metacontroller for it. */
export const CONFIG_RULE: RelatedResourceRule = { apiVersion: FENCE_API_VERSION, resource: 'lazyloadconfigs', names: [CONFIG_NAME] };
/** The fence a template is tried with when the config is read: any name shows missing variables. */
const SAMPLE_FENCE = 'example';

export interface LazyloadConfigStatus {
  conditions: Condition[];
  errors: Issue[];
  globalSidecar: { mode: string; namespaces: string[]; ports: number[] };
  rendered: { kind: string; name: string; namespace: string }[];
  warnings: Issue[];
}

export interface LazyloadConfigRequest {
  parent: KObject;
  versions: ChildVersions;
  /** The forwarder's image when the config names none: the hook server's own (GLOBAL_SIDECAR_IMAGE). */
  defaultImage?: string;
}

/**
 * Dispatch templates render per fence; trying each with a sample fence in every global-sidecar
 * namespace shows a missing value or a bad helper call here, before any fence hits it.
 */
function sampleRenderIssues(config: LazyloadConfig, namespaces: string[]): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const namespace of namespaces) {
    for (const issue of routeUnknownCalls(config, { name: SAMPLE_FENCE, namespace }, () => true).issues) {
      if (seen.has(issue.field)) continue;
      seen.add(issue.field);
      issues.push({ field: issue.field, message: `${issue.message} (tried with a sample fence in namespace ${namespace})` });
    }
  }
  return issues;
}

function configValid(name: string, errors: Issue[]): ConditionJudgement {
  if (name !== CONFIG_NAME) {
    return { type: 'ConfigValid', status: 'False', reason: 'NotDefault', message: `only the LazyloadConfig named ${CONFIG_NAME} is read; this one is ignored` };
  }
  if (errors.length === 0) return { type: 'ConfigValid', status: 'True', reason: 'Valid', message: 'every field is valid' };
  return { type: 'ConfigValid', status: 'False', reason: 'InvalidFields', message: `${formatIssues(errors)} (the rest of the configuration applies)` };
}

export function renderLazyloadConfig(req: LazyloadConfigRequest, now: Date): CompositeSyncResponse<LazyloadConfigStatus> {
  const name = req.parent.metadata.name;
  const parsed = parseConfigCached(req.parent.spec);
  const { config } = parsed;
  const namespaces = name === CONFIG_NAME ? globalSidecarNamespaces(config) : [];
  const ports = namespaces.length > 0 ? wormholePorts(config) : [];
  const children = namespaces.flatMap((ns) => globalSidecarObjects(config, globalSidecarIn(ns, config.globalSidecar.port), ports, req.versions, req.defaultImage));
  const errors = [...parsed.errors, ...sampleRenderIssues(config, namespaces)];
  const previous = isObject(req.parent.status) ? req.parent.status.conditions : undefined;
  return {
    children,
    status: {
      conditions: settleConditions([configValid(name, errors)], previous, now),
      errors,
      globalSidecar: { mode: config.globalSidecar.mode, namespaces, ports },
      rendered: children.map((c) => ({ kind: c.kind, name: c.metadata.name, namespace: c.metadata.namespace ?? '' })),
      warnings: parsed.warnings,
    },
  };
}
