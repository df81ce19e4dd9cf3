// `lazyload render` (docs/design.md §10): what the hooks would emit for objects read from YAML, without a
// cluster. It calls the hooks' own core (autoFenceAttachments, planFence/renderFence,
// renderLazyloadConfig) on the objects Metacontroller would have sent, so a preview can never drift
// from what the controllers apply.

import { YAMLException, dump, loadAll } from 'js-yaml';
import { CREATED_BY_LABEL, CREATED_BY_US, autoFenceAttachments } from '../core/autofence.js';
import { ENVOYFILTER_VERSION } from '../core/envoyfilter.js';
import { FENCE_API_VERSION, FENCE_GROUP, FENCE_KIND } from '../core/fence.js';
import type { Issue } from '../core/fields.js';
import { DESTINATION_RULE, POD_DISRUPTION_BUDGET } from '../core/globalsidecar-objects.js';
import { CONFIG_NAME, renderLazyloadConfig } from '../core/lazyloadconfig.js';
import { type KObject, describeValue, groupOf, isObject, keyOf, shapeProblem } from '../protocol/metacontroller.js';
import { planFence, renderFence } from '../core/servicefence.js';
import { SIDECAR_VERSION } from '../core/sidecar.js';

export interface RenderInput {
  files: { name: string; text: string }[];
  /** For namespaced objects without metadata.namespace, as kubectl does. */
  namespace: string;
  now: Date;
  /** Also print the global-sidecar objects when fences are given. */
  globalSidecar: boolean;
}

export interface RenderOutput {
  /** Multi-document YAML, ready for `kubectl apply -f -`. */
  stdout: string;
  /** One line each; any of them means exit code 1. */
  errors: string[];
  /** `warning: …` and `note: …` lines; they do not change the exit code. */
  warnings: string[];
}

/** An object read from the input, and how messages name it: `file: document N (Kind ns/name)`. */
interface Doc {
  obj: KObject;
  where: string;
}

type Role = 'config' | 'fence' | 'service' | 'namespace';

const roleOf = (o: KObject): Role | undefined => {
  const group = groupOf(o.apiVersion);
  if (group === FENCE_GROUP && o.kind === 'LazyloadConfig') return 'config';
  if (group === FENCE_GROUP && o.kind === FENCE_KIND) return 'fence';
  if (o.apiVersion === 'v1' && o.kind === 'Service') return 'service';
  if (o.apiVersion === 'v1' && o.kind === 'Namespace') return 'namespace';
  return undefined;
};

const idOf = (o: KObject): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Directives (`%YAML`) belong to the document the next `---` starts. */
function onlyDirectives(lines: string[]): boolean {
  const content = lines.filter((l) => !/^\s*(#|$)/.test(l));
  return content.length > 0 && content.every((l) => l.startsWith('%'));
}

/**
 * Splits a stream at its `---` lines (YAML forbids them inside any scalar, so this is exact), so a
 * syntax error costs only its own document and the others still render.
 */
function chunks(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current: string[] = [];
  let start = 0;
  text.split('\n').forEach((line, i) => {
    if (/^---([ \t\r]|$)/.test(line) && !onlyDirectives(current)) {
      out.push({ text: current.join('\n'), line: start });
      current = [];
      start = i;
    }
    current.push(line);
  });
  out.push({ text: current.join('\n'), line: start });
  return out;
}

class Reader {
  readonly docs: { role: Role; doc: Doc }[] = [];
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  private readonly seen = new Map<string, string>();

  constructor(private readonly namespace: string) {}

  file(name: string, text: string): void {
    let index = 0;
    for (const chunk of chunks(text)) {
      let values: unknown[];
      try {
        values = loadAll(chunk.text);
      } catch (e) {
        index++;
        const mark = e instanceof YAMLException ? e.mark : undefined;
        const at = mark ? `line ${chunk.line + mark.line + 1}, column ${mark.column + 1}: ` : '';
        this.errors.push(`${name}: document ${index}: ${at}YAML syntax error: ${e instanceof YAMLException ? e.reason : (e as Error).message}`);
        continue;
      }
      for (const value of values) this.value(value, `${name}: document ${++index}`);
    }
  }

  private value(value: unknown, where: string): void {
    if (value === null || value === undefined) return;
    if (!isObject(value)) {
      this.errors.push(`${where}: must be a mapping (a Kubernetes object), got ${describeValue(value)}`);
      return;
    }
    // `kubectl get -o yaml` of several objects answers a List; typed lists (`ServiceList`) read the same.
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item, i) => this.value(item, `${where} items[${i}]`));
      return;
    }
    const problem = shapeProblem(value);
    if (problem) {
      this.errors.push(`${where}: ${problem.field}: ${problem.expected}${problem.found ? `, ${problem.found}` : ''}`);
      return;
    }
    const obj = value as KObject;
    const role = roleOf(obj);
    if (role === undefined) {
      this.warnings.push(`note: ${where} (${idOf(obj)}): skipped: render reads only LazyloadConfig, ServiceFence, Service (v1) and Namespace (v1)`);
      return;
    }
    // LazyloadConfig and Namespace are cluster-scoped: the API server drops a namespace given to them,
    // and so do we.
    const { namespace: given, ...rest } = obj.metadata;
    const metadata = role === 'config' || role === 'namespace' ? rest : { ...rest, namespace: given || this.namespace };
    const doc = { obj: { ...obj, metadata }, where: '' };
    doc.where = `${where} (${idOf(doc.obj)})`;
    if (role === 'config' && metadata.name !== CONFIG_NAME) {
      this.errors.push(`${doc.where}: metadata.name: the hooks read only the LazyloadConfig named ${CONFIG_NAME}; this one is ignored`);
      return;
    }
    const key = `${role}/${metadata.namespace ?? ''}/${metadata.name}`;
    const first = this.seen.get(key);
    if (first !== undefined) {
      this.errors.push(`${doc.where}: metadata.name: the same object as ${first}; only the first is read`);
      return;
    }
    this.seen.set(key, doc.where);
    this.docs.push({ role, doc });
  }

  of(role: Role): Doc[] {
    return this.docs.filter((d) => d.role === role).map((d) => d.doc);
  }
}

/** Top-level keys as kubectl writes them: apiVersion, kind, metadata, then the rest as they came. */
function toYaml(obj: KObject): string {
  // Through JSON, as the hooks answer Metacontroller: undefined fields vanish instead of breaking dump.
  const { apiVersion, kind, metadata, ...rest } = JSON.parse(JSON.stringify(obj)) as KObject;
  return dump({ apiVersion, kind, metadata, ...rest }, { lineWidth: -1, noRefs: true });
}

const line = (where: string, issue: Issue, suffix = ''): string => `${where}: ${issue.field}: ${issue.message}${suffix}`;

/** A fence to render; `emitted` when it is an auto fence, which the autofence hook would apply. */
interface FenceDoc extends Doc {
  emitted?: KObject;
}

interface AutoFenceDocs {
  config?: Doc;
  fences: Doc[];
  services: Doc[];
  namespaces: Doc[];
}

/**
 * Whether Metacontroller would hand the fence to the autofence hook as the Service's attachment: it
 * is when an ownerReference says so (`kubectl get` output). Written input seldom has any, so
 * without ownerReferences a fence carrying our label is taken as the Service's.
 */
function isAttachmentOf(fence: KObject, service: KObject): boolean {
  const owners = fence.metadata.ownerReferences;
  if (Array.isArray(owners) && owners.length > 0) {
    return owners.some((o) => isObject(o) && o.kind === 'Service' && o.name === service.metadata.name && o.controller === true);
  }
  return fence.metadata.labels?.[CREATED_BY_LABEL] === CREATED_BY_US;
}

/**
 * The fences there would be once the autofence hook (docs/design.md §7) has run for every Service of the
 * input: auto fences made or updated in place of the input's, ours it would delete left out.
 */
function withAutoFences(docs: AutoFenceDocs, warnings: string[]): FenceDoc[] {
  const fences: (FenceDoc | undefined)[] = [...docs.fences];
  const index = new Map(docs.fences.map((f, i) => [keyOf(f.obj), i]));
  for (const service of docs.services) {
    const i = index.get(keyOf(service.obj));
    const given = i === undefined ? undefined : docs.fences[i].obj;
    const ours = given && isAttachmentOf(given, service.obj) ? given : undefined;
    const { decision, attachments } = autoFenceAttachments({
      service: service.obj,
      namespace: docs.namespaces.find((n) => n.obj.metadata.name === service.obj.metadata.namespace)?.obj,
      lazyloadConfig: docs.config?.obj,
      fence: given,
      attachments: ours ? [ours] : [],
      fenceApiVersion: FENCE_API_VERSION,
    });
    if (decision.action === 'none' && ours && i !== undefined) {
      fences[i] = undefined;
      warnings.push(`note: ${service.where}: ${idOf(ours)} would be deleted: ${decision.message}`);
      continue;
    }
    if (decision.action === 'fence') {
      const [auto] = attachments;
      // Metacontroller merges the auto fence into the one there and never touches its status: the
      // dependencies it learned stay, and its Sidecar is rendered with them.
      const obj = given?.status === undefined ? auto : { ...auto, status: given.status };
      const doc = { obj, where: service.where, emitted: auto };
      if (i === undefined) fences.push(doc);
      else fences[i] = doc;
    }
    // With autoFence off every Service would say so; only a deletion is worth a line.
    if (decision.reason === 'AutoFenceOff') continue;
    const fix = decision.reason === 'NamespaceUnknown' ? ' (add the Namespace to the input)' : '';
    warnings.push(`note: ${service.where}: auto-fence: ${decision.message}${fix}`);
  }
  return fences.filter((f): f is FenceDoc => f !== undefined);
}

export function render(input: RenderInput): RenderOutput {
  const reader = new Reader(input.namespace);
  for (const file of input.files) reader.file(file.name, file.text);
  const { errors, warnings } = reader;

  const config = reader.of('config')[0];
  const serviceDocs = reader.of('service');
  const services = serviceDocs.map((s) => s.obj);

  const objects: KObject[] = [];
  const configFields = new Set<string>();
  let globalSidecarObjects: KObject[] = [];
  let mode = '';
  if (config) {
    const versions = { destinationRule: DESTINATION_RULE.version, envoyFilter: ENVOYFILTER_VERSION, podDisruptionBudget: POD_DISRUPTION_BUDGET.version };
    const rendered = renderLazyloadConfig({ parent: config.obj, versions }, input.now);
    for (const issue of rendered.status.errors) {
      configFields.add(issue.field);
      errors.push(line(config.where, issue));
    }
    for (const issue of rendered.status.warnings) warnings.push(`warning: ${line(config.where, issue)}`);
    globalSidecarObjects = rendered.children;
    mode = rendered.status.globalSidecar.mode;
  }
  const inputFences = reader.of('fence');
  const fences = withAutoFences({ config, fences: inputFences, services: serviceDocs, namespaces: reader.of('namespace') }, warnings);
  // A fence that auto-fence would delete still makes the input about fences, not the global sidecar.
  const aboutFences = inputFences.length > 0 || fences.length > 0;
  if (!config && fences.length > 0) {
    warnings.push(`note: no LazyloadConfig named ${CONFIG_NAME} in the input: fences are rendered with the built-in defaults`);
  }

  const plan = (fence: FenceDoc, related: KObject[]) =>
    planFence({
      fence: fence.obj,
      services,
      fences: related,
      lazyloadConfig: config?.obj,
      sidecarApiVersion: SIDECAR_VERSION,
      envoyFilterApiVersion: ENVOYFILTER_VERSION,
      // A preview of the steady state: the global sidecar the config runs for the fence is taken as
      // ready (routing already leaves out fences no global sidecar serves).
      isGlobalSidecarReady: () => true,
    });
  const sync = (fence: FenceDoc, related: KObject[]) => {
    const p = plan(fence, related);
    return { plan: p, response: renderFence(p, { kind: 'unconfigured' }, input.now) };
  };
  // Metacontroller converges in two steps: each fence writes its status, and the owner of a shared
  // workload (docs/design.md §5.4) then syncs again with its members' domains. So does the preview.
  const firstPass = fences.map((fence) => ({ ...fence.obj, status: sync(fence, []).response.status }));
  for (const fence of fences) {
    if (fence.emitted) objects.push(fence.emitted);
    const { plan: p, response } = sync(fence, firstPass);
    for (const issue of p.issues.spec) errors.push(line(fence.where, issue));
    // plan.issues.config are the config's own errors, reported above once. A dispatch whose
    // template already failed for the sample fence is left out for every fence: said once too.
    for (const issue of p.routing.issues) {
      if (!configFields.has(issue.field)) errors.push(line(config?.where ?? fence.where, issue, ` (for ${idOf(fence.obj)})`));
    }
    objects.push(...response.children);
    const notFound = response.status.conditions.find((c) => c.type === 'ServiceFound' && c.status === 'False');
    if (p.spec.enable && notFound) warnings.push(`warning: ${fence.where}: ${notFound.message}`);
    for (const c of response.status.conditions) {
      if (c.type === 'SelectorOverlap') warnings.push(`warning: ${fence.where}: ${c.message}`);
      if (c.type === 'WorkloadShared' && c.reason === 'Member') warnings.push(`note: ${fence.where}: ${c.message}`);
    }
  }

  if (config && (!aboutFences || input.globalSidecar)) {
    objects.push(...globalSidecarObjects);
    if (globalSidecarObjects.length === 0) warnings.push(`note: ${config.where}: no global-sidecar objects (globalSidecar mode ${mode})`);
  } else if (input.globalSidecar) {
    warnings.push(`warning: --global-sidecar: no LazyloadConfig named ${CONFIG_NAME} in the input, and without one the controller runs no global sidecar`);
  }
  if (!aboutFences && !config && errors.length === 0) warnings.push('note: nothing to render: the input holds no ServiceFence and no LazyloadConfig');
  return { stdout: objects.map(toYaml).join('---\n'), errors, warnings };
}
