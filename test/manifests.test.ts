// The install manifests in metacontroller/ (docs/design.md §2, §4, §9): they build, they validate against
// the real Metacontroller CRDs, and our own CRDs accept what the hooks and users write.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import * as autofence from '../hooks/autofence.js';
import * as servicefence from '../hooks/servicefence.js';
import { DEFAULT_GLOBAL_SIDECAR_IMAGE } from '../src/core/globalsidecar-objects.js';
import { type Obj, type Schema, crdSchema, docs, docsOf, errorsOf, repoRoot, schemasDir } from './support/schemas.js';

const manifestsDir = path.join(repoRoot, 'metacontroller');
const kustomization = load(readFileSync(path.join(manifestsDir, 'kustomization.yaml'), 'utf8')) as Obj;

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `kubectl kustomize` when available, else the listed resource files as they are. */
function build(): Obj[] {
  if (hasKubectl()) return docs(execFileSync('kubectl', ['kustomize', manifestsDir], { encoding: 'utf8' }));
  return (kustomization.resources as string[]).flatMap((r) => docsOf(path.join(manifestsDir, r)));
}

const objects = build();
const find = (kind: string, name?: string): Obj[] =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
const one = (kind: string, name?: string): Obj => {
  const found = find(kind, name);
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0];
};

/** Where a schema breaks the Kubernetes structural-schema rules we rely on. */
function nonStructural(s: Schema, at: string): string[] {
  const out: string[] = [];
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (!s.type && !intOrString && !s['x-kubernetes-preserve-unknown-fields']) out.push(`${at}: no type`);
  if (intOrString && s.anyOf && JSON.stringify(s.anyOf) !== '[{"type":"integer"},{"type":"string"}]')
    out.push(`${at}: int-or-string anyOf`);
  if (!intOrString && (s.anyOf || s.oneOf || s.allOf)) out.push(`${at}: logical junctor`);
  if (s.properties && s.additionalProperties) out.push(`${at}: properties and additionalProperties`);
  for (const [k, sub] of Object.entries<Schema>(s.properties ?? {})) out.push(...nonStructural(sub, `${at}.${k}`));
  if (typeof s.additionalProperties === 'object') out.push(...nonStructural(s.additionalProperties, `${at}.*`));
  if (s.items) out.push(...nonStructural(s.items, `${at}[]`));
  return out;
}

/** What the API server keeps of `value` after structural pruning. */
function pruned(s: Schema | undefined, value: unknown): unknown {
  if (!s || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => pruned(s.items, v));
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (sub) out[k] = pruned(sub, v);
    else if (s['x-kubernetes-preserve-unknown-fields'] || s.additionalProperties === true) out[k] = v;
  }
  return out;
}

describe('metacontroller/ install manifests', () => {
  it('builds into every listed resource with the expected kinds', () => {
    for (const file of kustomization.resources as string[]) {
      const listed = docsOf(path.join(manifestsDir, file));
      expect(listed.length, file).toBeGreaterThan(0);
      for (const o of listed) expect(find(o.kind, o.metadata.name), `${file}: ${o.kind}`).toHaveLength(1);
    }
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual([
      'ClusterRole', 'ClusterRoleBinding', 'CompositeController', 'CompositeController', 'CustomResourceDefinition',
      'CustomResourceDefinition', 'DecoratorController', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount',
    ]);
  });

  it('validates every Metacontroller controller against the Metacontroller CRDs', () => {
    const crds = docsOf(path.join(schemasDir, 'metacontroller-crds.yaml'));
    const controllers = objects.filter((o) => o.apiVersion === 'metacontroller.k8s.io/v1alpha1');
    expect(controllers.length).toBeGreaterThan(0);
    for (const c of controllers) {
      const crd = crds.find((d) => d.spec.names.kind === c.kind);
      expect(crd, c.kind).toBeDefined();
      expect(errorsOf(crdSchema(crd!), c), `${c.kind} ${c.metadata.name}`).toEqual([]);
    }
  });

  it('runs the servicefence controller with v2 hooks, generated selectors and InPlace children', () => {
    const { spec } = one('CompositeController', 'lazyload-servicefence');
    expect(spec.parentResource).toEqual({ apiVersion: 'microservice.slime.io/v1alpha1', resource: 'servicefences' });
    expect(spec.generateSelector).toBe(true);
    expect(spec.hooks.customize.version).toBe('v2');
    expect(spec.hooks.sync.version).toBe('v2');
    expect(spec.hooks.customize.webhook.path).toBe('/servicefence/customize');
    expect(spec.hooks.sync.webhook.path).toBe('/servicefence/sync');
    expect(spec.childResources).toEqual([
      { apiVersion: 'networking.istio.io/v1', resource: 'sidecars', updateStrategy: { method: 'InPlace' } },
      { apiVersion: 'networking.istio.io/v1alpha3', resource: 'envoyfilters', updateStrategy: { method: 'InPlace' } },
    ]);
  });

  it('runs the lazyloadconfig controller with a v2 sync hook only and the global-sidecar objects as InPlace children', () => {
    const controller = one('CompositeController', 'lazyload-lazyloadconfig');
    expect(controller.metadata.namespace).toBeUndefined();
    const { spec } = controller;
    expect(spec.parentResource).toEqual({ apiVersion: 'microservice.slime.io/v1alpha1', resource: 'lazyloadconfigs' });
    expect(spec.generateSelector).toBe(true);
    expect(Object.keys(spec.hooks)).toEqual(['sync']);
    expect(spec.hooks.customize).toBeUndefined();
    expect(spec.hooks.sync.version).toBe('v2');
    expect(spec.hooks.sync.webhook.path).toBe('/lazyloadconfig/sync');
    expect(spec.hooks.sync.webhook.timeout).toBe('10s');
    const inPlace = (apiVersion: string, resource: string) => ({ apiVersion, resource, updateStrategy: { method: 'InPlace' } });
    expect(spec.childResources).toEqual([
      inPlace('v1', 'serviceaccounts'),
      inPlace('v1', 'configmaps'),
      inPlace('v1', 'services'),
      inPlace('apps/v1', 'deployments'),
      inPlace('policy/v1', 'poddisruptionbudgets'),
      inPlace('networking.istio.io/v1', 'destinationrules'),
      inPlace('networking.istio.io/v1alpha3', 'envoyfilters'),
    ]);
  });

  it('runs autofence as a decorator of every Service with v2 hooks and the ServiceFence as InPlace attachment', () => {
    const controller = one('DecoratorController', 'lazyload-autofence');
    expect(controller.metadata.namespace).toBeUndefined();
    const { spec } = controller;
    // No selector: a Service that stops being fenced must still be synced, to lose its fence.
    expect(spec.resources).toEqual([{ apiVersion: 'v1', resource: 'services', ignoreStatusChanges: true }]);
    expect(spec.attachments).toEqual([
      { apiVersion: 'microservice.slime.io/v1alpha1', resource: 'servicefences', updateStrategy: { method: 'InPlace' } },
    ]);
    expect(Object.keys(spec.hooks).sort()).toEqual(['customize', 'sync']);
    expect(spec.hooks.customize.version).toBe('v2');
    expect(spec.hooks.sync.version).toBe('v2');
    expect(spec.hooks.customize.webhook.path).toBe('/autofence/customize');
    expect(spec.hooks.sync.webhook.path).toBe('/autofence/sync');
  });

  it('lets Metacontroller set ownerReferences that block deletion of the decorated Services', () => {
    const role = one('ClusterRole', 'lazyload-metacontroller');
    const rule = (role.rules as Obj[]).find((r) => r.apiGroups.includes('') && r.resources.includes('services/finalizers'));
    expect(rule?.verbs).toContain('update');
  });

  it('lets Metacontroller read and write every child resource of every controller', () => {
    const role = one('ClusterRole', 'lazyload-metacontroller');
    const binding = one('ClusterRoleBinding', 'lazyload-metacontroller');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lazyload-metacontroller' });
    const needed = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    const children = objects
      .filter((o) => o.apiVersion === 'metacontroller.k8s.io/v1alpha1')
      .flatMap((c) => (c.spec.childResources ?? c.spec.attachments ?? []) as Obj[]);
    expect(children.length).toBeGreaterThan(0);
    for (const { apiVersion, resource } of children) {
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
      const rules = (role.rules as Obj[]).filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource));
      const verbs = new Set(rules.flatMap((r) => r.verbs as string[]));
      expect(
        needed.filter((v) => !verbs.has(v) && !verbs.has('*')),
        `${group || 'core'}/${resource}`,
      ).toEqual([]);
    }
    // Namespaces are only ever read.
    const nsVerbs = (role.rules as Obj[]).filter((r) => r.apiGroups.includes('') && r.resources.includes('namespaces'));
    expect(nsVerbs.flatMap((r) => r.verbs).sort()).toEqual(['get', 'list', 'watch']);
  });

  it('lets Metacontroller read every related resource the customize hooks ask for', () => {
    const role = one('ClusterRole', 'lazyload-metacontroller');
    const parent = {
      apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', metadata: { name: 'web', namespace: 'shop' },
      spec: { labelSelector: [{ selector: { app: 'db' } }] },
    };
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' } };
    const rules = [...servicefence.customize({ parent }).relatedResources, ...autofence.customize({ parent: service }).relatedResources];
    for (const { apiVersion, resource } of rules) {
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
      const verbs = new Set((role.rules as Obj[]).filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs as string[]));
      expect(['get', 'list', 'watch'].filter((v) => !verbs.has(v)), `${group || 'core'}/${resource}`).toEqual([]);
    }
  });

  it('points every hook at the hook Service in the install namespace', () => {
    const service = one('Service', 'lazyload');
    const hooks = [...find('CompositeController'), ...find('DecoratorController')].flatMap((c) => Object.values<Obj>(c.spec.hooks));
    expect(hooks.length).toBeGreaterThan(0);
    for (const { webhook } of hooks) {
      expect(webhook.url).toBeUndefined();
      expect(webhook.service).toEqual({ name: 'lazyload', namespace: kustomization.namespace, port: 80 });
      expect(service.spec.ports.map((p: Obj) => p.port)).toContain(webhook.service.port);
    }
    expect(kustomization.namespace).toBe('mesh-operator');
  });

  it('gives ServiceFence a structural schema that accepts Slime fences and our status, and rejects bad enums', () => {
    const crd = one('CustomResourceDefinition', 'servicefences.microservice.slime.io');
    expect(crd.spec.versions[0].subresources).toEqual({ status: {} });
    const schema = crdSchema(crd);
    expect(nonStructural(schema, 'root')).toEqual([]);
    expect(schema.properties.spec['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
    expect(schema.properties.status['x-kubernetes-preserve-unknown-fields']).toBeUndefined();

    const fence = load(`
      apiVersion: microservice.slime.io/v1alpha1
      kind: ServiceFence
      metadata: {name: productpage, namespace: default}
      spec:
        enable: true
        host:
          reviews.default.svc.cluster.local: {stable: {}}
          ratings.default.svc.cluster.local: {deadline: {expire: {seconds: "1735689600"}}}
          details.default.svc.cluster.local: {deadline: {expire: {seconds: 1735689600, nanos: 0}}}
          mongodb.default.svc.cluster.local: {auto: {duration: {seconds: "3600"}}, RecentlyCalled: {seconds: 1700000000}}
          "istio-samples/*": {}
        namespaceSelector: [backend]
        labelSelector:
          - selector: {app: reviews, version: v2}
          - selector: {tier: db}
        workloadSelector: {fromService: true, labels: {app: productpage}}
      status:
        domains:
          reviews.default.svc.cluster.local: {hosts: [reviews.default.svc.cluster.local], status: ACTIVE}
          details.default.svc.cluster.local: {hosts: [details.default.svc.cluster.local], status: EXPIREWAIT}
          ratings.default.svc.cluster.local: {hosts: [ratings.default.svc.cluster.local], status: EXPIRE}
        metricStatus:
          '{destination_service="details.default.svc.cluster.local"}': "1"
        conditions:
          - {type: ConfigValid, status: "True", reason: Valid, message: "", lastTransitionTime: "2026-01-02T03:04:05Z"}
          - {type: ServiceFound, status: "False", reason: NotFound, message: no Service, lastTransitionTime: "2026-01-02T03:04:05Z"}
        observedGeneration: 3
    `) as Obj;
    expect(errorsOf(schema, fence)).toEqual([]);
    expect(pruned(schema.properties.spec, fence.spec)).toEqual(fence.spec);
    expect(pruned(schema.properties.status, fence.status)).toEqual(fence.status);

    const withDomain = (status: unknown) => ({ ...fence, status: { domains: { 'a.b.svc.cluster.local': { hosts: [], status } } } });
    expect(errorsOf(schema, withDomain(1))).not.toEqual([]);
    expect(errorsOf(schema, withDomain('RUNNING'))).not.toEqual([]);
    const maybe = { ...fence, status: { conditions: [{ type: 'ConfigValid', status: 'maybe' }] } };
    expect(errorsOf(schema, maybe)).not.toEqual([]);
  });

  it('makes LazyloadConfig cluster-scoped with a status subresource, keeping every docs/design.md §3 field and unknown ones', () => {
    const crd = one('CustomResourceDefinition', 'lazyloadconfigs.microservice.slime.io');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.versions[0].subresources).toEqual({ status: {} });
    const schema = crdSchema(crd);
    expect(nonStructural(schema, 'root')).toEqual([]);

    const spec = {
      istioNamespace: 'istio-system', controllerNamespace: 'mesh-operator', serviceLabel: 'app',
      wormholePort: ['9080', 80],
      globalSidecar: {
        mode: 'cluster', namespace: 'mesh-operator', namespaces: ['default'], port: 80, probePort: 18181,
        replicas: 2, image: 'lazyload:0.1.0', resources: { requests: { cpu: '100m' }, limits: { memory: '256Mi' } },
      },
      dispatches: [
        { name: 'ip', domainRegex: '^[0-9.]+(:[0-9]+)?$', cluster: 'PassthroughCluster' },
        { name: 'ext', domains: ['*.example.com'], cluster: 'outbound|{{port}}||egress.{{values.egressNs}}.svc.cluster.local' },
      ],
      passthroughByDefault: false, supportH2: true, proxyVersion: '^1\\.2[0-9].*',
      domainAliases: [{ pattern: '^(?P<svc>[^.]+)\\.(?P<ns>[^.]+)\\.svc\\.cluster\\.local$', templates: ['$svc.$ns.mesh'] }],
      stableHost: ['istio-samples/*', 'reviews.default.svc.cluster.local'],
      autoFence: true, defaultFence: false,
      managementSelectors: [
        { matchLabels: { 'istio-injection': 'enabled' } },
        { matchExpressions: [{ key: 'team', operator: 'In', values: ['shop'] }] },
      ],
      blackNamespaceList: 'kube-system,istio-system', whiteNamespaceList: ['default', 'shop'],
      metric: {
        prometheus: {
          query: 'sum by (destination_service) (istio_requests_total)', window: '1h', refreshSeconds: 15, timeoutSeconds: 2,
          handlers: { destination: { type: 'Value', query: 'sum(istio_requests_total{source_app="$source_app"})' } },
        },
      },
      values: { egressNs: 'egress', nested: { list: [1, 'two'] } },
      globalSidecarMode: 'cluster', clusterGsNamespace: 'mesh-operator', namespace: ['default'],
      metricSourceType: 'prometheus', autoPort: false, selfResourceRev: 'canary',
      fenceLabelKeyAlias: 'app.kubernetes.io/name:app', // a Slime `general` field we do not know
    };
    const config = { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'LazyloadConfig', metadata: { name: 'default' }, spec };
    expect(errorsOf(schema, config)).toEqual([]);
    expect(pruned(schema.properties.spec, spec)).toEqual(spec);

    // Status: what the lazyloadconfig sync hook writes (docs/design.md §6), fully typed.
    expect(schema.properties.status['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
    expect(nonStructural(schema.properties.status, 'status')).toEqual([]);
    const status = load(`
      conditions:
        - {type: ConfigValid, status: "False", reason: InvalidFields, message: "x", lastTransitionTime: "2026-01-02T03:04:05Z"}
      globalSidecar: {mode: namespace, namespaces: [a, b], ports: [9080, 80]}
      rendered:
        - {kind: Deployment, namespace: a, name: global-sidecar}
      errors:
        - {field: "spec.dispatches[0].cluster", message: "m"}
      warnings:
        - {field: "spec.foo", message: "unknown field, ignored"}
      observedGeneration: 2
    `) as Obj;
    expect(errorsOf(schema, { ...config, status })).toEqual([]);
    expect(pruned(schema.properties.status, status)).toEqual(status);
    expect(Object.keys(schema.properties.status.properties).sort()).toEqual(
      ['conditions', 'errors', 'globalSidecar', 'observedGeneration', 'rendered', 'warnings'],
    );
    // Anything else is pruned by the API server.
    expect(pruned(schema.properties.status, { ...status, extra: 1 })).toEqual(status);

    const withStatus = (s: Obj) => ({ ...config, status: s });
    expect(errorsOf(schema, withStatus({ globalSidecar: { mode: 'sideways' } }))).not.toEqual([]);
    expect(errorsOf(schema, withStatus({ globalSidecar: { ports: ['80'] } }))).not.toEqual([]);
    expect(errorsOf(schema, withStatus({ errors: [{ field: 'spec.x' }] }))).not.toEqual([]);
    expect(errorsOf(schema, withStatus({ rendered: [{ namespace: 'a', name: 'global-sidecar' }] }))).not.toEqual([]);

    const columns = crd.spec.versions[0].additionalPrinterColumns.map((c: Obj) => [c.name, c.jsonPath]);
    expect(columns).toEqual([
      ['Mode', '.spec.globalSidecar.mode'],
      ['ConfigValid', '.status.conditions[?(@.type=="ConfigValid")].status'],
      ['Namespaces', '.status.globalSidecar.namespaces'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
  });

  it('runs 2 hook replicas with readiness on /readyz and liveness on /healthz', () => {
    const deployment = one('Deployment', 'lazyload');
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers.find((c: Obj) => c.name === 'lazyload');
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container.ports).toContainEqual({ name: 'http', containerPort: 8080, protocol: 'TCP' });
  });

  it('has the hook server render global sidecars with its own image', () => {
    const container = one('Deployment', 'lazyload').spec.template.spec.containers.find((c: Obj) => c.name === 'lazyload');
    expect(container.env).toContainEqual({ name: 'GLOBAL_SIDECAR_IMAGE', value: container.image });
    // Without a config that names one, the hooks default to this release's image.
    if (hasKubectl()) expect(container.image).toBe(DEFAULT_GLOBAL_SIDECAR_IMAGE);
  });
});

describe('the image', () => {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const [build, final] = dockerfile.split(/^(?=FROM )/m).filter((stage) => stage.startsWith('FROM '));
  /** What a stage's COPY instructions take: paths of the build context, or `--from=build dist`. */
  const copied = (stage: string) =>
    [...stage.matchAll(/^COPY (.+)$/gm)].flatMap((m) => {
      const args = m[1].split(/\s+/);
      const from = args[0].startsWith('--from=') ? `${args.shift()} ` : '';
      return args.slice(0, -1).map((src) => `${from}${src.replace(/^\/app\//, '')}`);
    });
  const runs = (stage: string) => [...stage.matchAll(/^RUN (.+)$/gm)].map((m) => m[1]);

  it('is built on Node 24 LTS and runs the hook server unless told to run the forwarder', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases).toHaveLength(2);
    for (const base of bases) expect(base).toMatch(/^node:24-[a-z]+-slim$/);
    expect(final).toMatch(/^ENTRYPOINT \["node", "bin\/lazyload.js"\]$/m);
    expect(final).toMatch(/^CMD \["serve"\]$/m);
  });

  it('compiles dist/ in its build stage with every dependency, then keeps only the production ones', () => {
    const steps = runs(build);
    const install = steps.findIndex((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev'));
    const compile = steps.findIndex((r) => r.startsWith('npm run build'));
    const prune = steps.findIndex((r) => /^npm (prune|ci) .*--omit=dev/.test(r));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(compile).toBeGreaterThan(install);
    expect(prune).toBeGreaterThan(compile);
    expect(copied(build)).toEqual(expect.arrayContaining(['package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'hooks']));
  });

  it('ships the compiled code, the production modules, what they read at run time and the licence, but no sources', () => {
    expect(copied(final).sort()).toEqual(['--from=build dist', '--from=build node_modules', 'LICENSE', 'bin', 'package.json', 'templates']);
  });

  it('sends the build only what it copies: no node_modules, dist, .tools or .git from the host', () => {
    const patterns = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    // Top-level names only, which is all this file uses: the last pattern that matches decides.
    const ignored = (name: string) =>
      patterns.reduce((out, p) => {
        const negated = p.startsWith('!');
        const pattern = negated ? p.slice(1) : p;
        return pattern === '*' || pattern === name ? !negated : out;
      }, false);
    for (const name of ['node_modules', 'dist', '.tools', '.git', 'test', 'fixtures']) expect(ignored(name), name).toBe(true);
    const fromContext = [...copied(build), ...copied(final)].filter((c) => !c.startsWith('--from='));
    for (const name of fromContext) expect(ignored(name), name).toBe(false);
  });
});
