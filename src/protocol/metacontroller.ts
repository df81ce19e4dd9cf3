import { compareBytes } from './canonical.js';

// Metacontroller webhook protocol (v4.15+, hook versions v1 and v2), as plain types plus one
// decoder. Objects are always read by their own metadata, never by the object-map keys: v1 and v2
// key them differently and the keys carry nothing the metadata does not.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Any Kubernetes object as Metacontroller sends it. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** `{"<Kind>.<group>/<version>": {"<ns>/<name>" | "<name>": object}}` */
export type ObjectMap = Record<string, Record<string, KObject>>;

export interface CompositeSyncRequest<P extends KObject = KObject> {
  controller?: KObject;
  parent: P;
  children: ObjectMap;
  related: ObjectMap;
  finalizing: boolean;
}

/** A DecoratorController sync: the decorated object is `object`, what it made are `attachments`. */
export interface DecoratorSyncRequest<T extends KObject = KObject> {
  controller?: KObject;
  object: T;
  attachments: ObjectMap;
  related: ObjectMap;
  finalizing: boolean;
}

export interface CustomizeRequest<P extends KObject = KObject> {
  controller?: KObject;
  parent: P;
}

/** Exactly the keys strict v2 decoding accepts for a CompositeController sync response. */
export interface CompositeSyncResponse<Status = JsonObject> {
  status: Status;
  children: KObject[];
  resyncAfterSeconds?: number;
  finalized?: boolean;
}

/**
 * Exactly the keys strict v2 decoding accepts for a DecoratorController sync response, less
 * `labels`, `annotations` and `status`: we never write to an object we decorate.
 */
export interface DecoratorSyncResponse {
  attachments: KObject[];
  resyncAfterSeconds?: number;
  finalized?: boolean;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface RelatedResourceRule {
  apiVersion: string;
  resource: string;
  labelSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  namespace?: string;
  names?: string[];
}

export interface CustomizeResponse {
  relatedResources: RelatedResourceRule[];
}

/** What the parent of a hook must be: checked once at the boundary. */
export interface ParentKind {
  group: string;
  kind: string;
  /** A cluster-scoped parent has no namespace; a namespaced one must have one. */
  clusterScoped?: boolean;
}

/** Input that is not a Metacontroller request of the expected shape (answered with 422). */
export class InvalidRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequest';
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

/** What a JSON value is, for error messages: `null`, `an array`, `an object`, `number 5`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

export interface ShapeProblem {
  /** Path below the object, e.g. `metadata.name`. */
  field: string;
  expected: string;
  /** What was there instead, when that helps: `got number 5`, `missing`. */
  found?: string;
}

const found = (v: unknown): string => (v === undefined ? 'missing' : `got ${describeValue(v)}`);

/** Why a JSON object cannot be read as a Kubernetes object; undefined when it can. */
export function shapeProblem(v: Record<string, unknown>): ShapeProblem | undefined {
  for (const field of ['apiVersion', 'kind'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') return { field, expected: 'must be a non-empty string', found: found(v[field]) };
  }
  const meta = v.metadata;
  if (!isObject(meta)) return { field: 'metadata', expected: 'must be an object', found: found(meta) };
  if (typeof meta.name !== 'string' || meta.name === '') return { field: 'metadata.name', expected: 'must be a non-empty string', found: found(meta.name) };
  if (meta.namespace !== undefined && meta.namespace !== null && typeof meta.namespace !== 'string') return { field: 'metadata.namespace', expected: 'must be a string' };
  for (const field of ['labels', 'annotations'] as const) {
    const m = meta[field];
    if (m !== undefined && m !== null && (!isObject(m) || Object.values(m).some((x) => typeof x !== 'string'))) {
      return { field: `metadata.${field}`, expected: 'must map strings to strings' };
    }
  }
  return undefined;
}

function checkObject(v: unknown, where: string): KObject {
  if (!isObject(v)) throw new InvalidRequest(`${where} must be a Kubernetes object, got ${describeValue(v)}`);
  const problem = shapeProblem(v);
  if (problem) throw new InvalidRequest(`${where}.${problem.field} ${problem.expected}`);
  return v as KObject;
}

/** The object a hook is about: `parent` (composite, customize) or `object` (decorator sync). */
function checkParent(body: Record<string, unknown>, expected: ParentKind, key: 'parent' | 'object' = 'parent'): KObject {
  const parent = checkObject(body[key], key);
  if (groupOf(parent.apiVersion) !== expected.group || parent.kind !== expected.kind) {
    throw new InvalidRequest(
      `${key} must be a ${expected.kind} (${expected.group || 'core'}), got ${parent.kind} (${parent.apiVersion})`,
    );
  }
  const namespace = parent.metadata.namespace;
  if (expected.clusterScoped) {
    if (namespace) throw new InvalidRequest(`${key} ${expected.kind} is cluster-scoped, but has metadata.namespace ${JSON.stringify(namespace)}`);
  } else if (typeof namespace !== 'string' || namespace === '') {
    throw new InvalidRequest(`${key}.metadata.namespace must be a non-empty string`);
  }
  return parent;
}

function checkObjectMap(v: unknown, where: string): ObjectMap {
  // Hand-written requests omit maps or send null; Metacontroller itself always sends objects.
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new InvalidRequest(`${where} must be an object map, got ${describeValue(v)}`);
  const out: ObjectMap = {};
  for (const [type, objects] of Object.entries(v)) {
    if (objects === null) continue;
    if (!isObject(objects)) throw new InvalidRequest(`${where}["${type}"] must be an object, got ${describeValue(objects)}`);
    const checked: Record<string, KObject> = {};
    for (const [key, obj] of Object.entries(objects)) checked[key] = checkObject(obj, `${where}["${type}"]["${key}"]`);
    out[type] = checked;
  }
  return out;
}

function checkBody(body: unknown, key: 'parent' | 'object' = 'parent'): Record<string, unknown> {
  if (!isObject(body)) throw new InvalidRequest(`request body must be a JSON object, got ${describeValue(body)}`);
  if (!(key in body)) throw new InvalidRequest(`request has no "${key}": not a Metacontroller ${key === 'object' ? 'decorator ' : ''}hook request`);
  return body;
}

function checkFinalizing(b: Record<string, unknown>): boolean {
  if (b.finalizing !== undefined && b.finalizing !== null && typeof b.finalizing !== 'boolean') {
    throw new InvalidRequest(`finalizing must be a boolean, got ${describeValue(b.finalizing)}`);
  }
  return b.finalizing === true;
}

const controllerOf = (b: Record<string, unknown>): KObject | undefined => (isObject(b.controller) ? (b.controller as KObject) : undefined);

export function decodeCustomize(body: unknown, expected: ParentKind): CustomizeRequest {
  const b = checkBody(body);
  return { controller: controllerOf(b), parent: checkParent(b, expected) };
}

export function decodeCompositeSync(body: unknown, expected: ParentKind): CompositeSyncRequest {
  const b = checkBody(body);
  return {
    controller: controllerOf(b),
    parent: checkParent(b, expected),
    children: checkObjectMap(b.children, 'children'),
    related: checkObjectMap(b.related, 'related'),
    finalizing: checkFinalizing(b),
  };
}

export function decodeDecoratorSync(body: unknown, expected: ParentKind): DecoratorSyncRequest {
  const b = checkBody(body, 'object');
  return {
    controller: controllerOf(b),
    object: checkParent(b, expected, 'object'),
    attachments: checkObjectMap(b.attachments, 'attachments'),
    related: checkObjectMap(b.related, 'related'),
    finalizing: checkFinalizing(b),
  };
}

/** Every object of a kind (any version) in an object map, in a stable order (namespace, name). */
export function objectsOfKind(map: ObjectMap, group: string, kind: string): KObject[] {
  const found: KObject[] = [];
  for (const objects of Object.values(map)) {
    for (const obj of Object.values(objects)) {
      if (obj.kind === kind && groupOf(obj.apiVersion) === group) found.push(obj);
    }
  }
  return found.sort((a, b) => compareBytes(keyOf(a), keyOf(b)));
}

/** `namespace/name` (`/name` when cluster-scoped): one object's identity within its kind. */
export const keyOf = (o: KObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * The apiVersion the controller declares for a child resource (a decorator's attachment):
 * Metacontroller deletes and recreates a child returned under any other version, so we echo the
 * declared one.
 */
export function declaredChildVersion(controller: KObject | undefined, group: string, resource: string, fallback: string): string {
  const spec = controller?.spec;
  const declared = isObject(spec) ? (spec.childResources ?? spec.attachments) : undefined;
  const rules = Array.isArray(declared) ? declared : [];
  for (const rule of rules) {
    if (isObject(rule) && rule.resource === resource && typeof rule.apiVersion === 'string' && groupOf(rule.apiVersion) === group) {
      return rule.apiVersion;
    }
  }
  return fallback;
}

/** The version a controller declares for one of its hooks (the CRD's default is v1); undefined without a controller. */
export function declaredHookVersion(controller: KObject | undefined, hook: 'sync' | 'customize' | 'finalize'): string | undefined {
  if (!controller) return undefined;
  const hooks = isObject(controller.spec) ? controller.spec.hooks : undefined;
  const declared = isObject(hooks) && isObject(hooks[hook]) ? hooks[hook].version : undefined;
  return typeof declared === 'string' ? declared : 'v1';
}
