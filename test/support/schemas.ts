// Schema checks shared by the tests: the real Istio and Metacontroller CRDs vendored in test/schemas
// (their sources and licences are in test/schemas/README.md), validated with ajv; core kinds and Istio's
// DestinationRule through the kubernetes-models packages, which compile the same API schemas.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { loadAll } from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PodDisruptionBudget as PodDisruptionBudgetV1beta1 } from 'kubernetes-models/policy/v1beta1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { DestinationRule as DestinationRuleV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/DestinationRule';
import { DestinationRule as DestinationRuleV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';

// biome-ignore lint: test data is untyped JSON
export type Obj = Record<string, any>;
export type Schema = Obj;

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const schemasDir = path.join(repoRoot, 'test', 'schemas');

/** Every non-empty YAML document of a text or file. */
export const docs = (text: string): Obj[] => loadAll(text).filter((d): d is Obj => d != null && typeof d === 'object');
export const docsOf = (file: string): Obj[] => docs(readFileSync(file, 'utf8'));

export const crdSchema = (crd: Obj, version?: string): Schema =>
  (version ? crd.spec.versions.find((v: Obj) => v.name === version) : crd.spec.versions[0]).schema.openAPIV3Schema;

function newAjv() {
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
  return ajv;
}
const ajv = newAjv();
const compiled = new WeakMap<Schema, ReturnType<typeof ajv.compile>>();

/** Validation errors of `value` against `schema`, one line each (empty: valid). */
export function errorsOf(schema: Schema, value: unknown): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const istioCrds = new Map<string, Obj>();

/** The openAPIV3Schema of an Istio CRD at a served version, from test/schemas. */
export function istioSchema(file: 'istio-sidecar-crd.yaml' | 'istio-envoyfilter-crd.yaml', version: string): Schema {
  if (!istioCrds.has(file)) istioCrds.set(file, docsOf(path.join(schemasDir, file))[0]);
  const crd = istioCrds.get(file)!;
  if (!crd.spec.versions.some((v: Obj) => v.name === version && v.served)) throw new Error(`${file} does not serve ${version}`);
  return crdSchema(crd, version);
}

// Core kinds are checked with the Kubernetes models (the OpenAPI schemas of the API server), and
// DestinationRule with @kubernetes-models/istio (generated from Istio 1.29.2's CRDs).
const models: Record<string, (o: Obj) => { validate(): void }> = {
  'v1/ConfigMap': (o) => new ConfigMap(o),
  'v1/Service': (o) => new Service(o),
  'v1/ServiceAccount': (o) => new ServiceAccount(o),
  'apps/v1/Deployment': (o) => new Deployment(o),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o),
  'policy/v1beta1/PodDisruptionBudget': (o) => new PodDisruptionBudgetV1beta1(o),
  'networking.istio.io/v1/DestinationRule': (o) => new DestinationRule(o),
  'networking.istio.io/v1beta1/DestinationRule': (o) => new DestinationRuleV1beta1(o),
  'networking.istio.io/v1alpha3/DestinationRule': (o) => new DestinationRuleV1alpha3(o),
};

let fenceCrd: Obj | undefined;
/** Our own ServiceFence CRD, as installed (metacontroller/crds). */
export function fenceSchema(version: string): Schema {
  fenceCrd ??= docsOf(path.join(repoRoot, 'metacontroller', 'crds', 'servicefence.yaml'))[0];
  return crdSchema(fenceCrd, version);
}

/** Schema errors of an object a hook emits; throws for a kind nothing here can check. */
export function emittedObjectErrors(o: Obj): string[] {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  if (group === 'microservice.slime.io' && o.kind === 'ServiceFence') return errorsOf(fenceSchema(version), o);
  if (group === 'networking.istio.io' && (o.kind === 'Sidecar' || o.kind === 'EnvoyFilter')) {
    return errorsOf(istioSchema(o.kind === 'Sidecar' ? 'istio-sidecar-crd.yaml' : 'istio-envoyfilter-crd.yaml', version), o);
  }
  const model = models[`${o.apiVersion}/${o.kind}`];
  if (!model) throw new Error(`no schema to check ${o.apiVersion} ${o.kind} against`);
  try {
    model(o).validate();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}
