// POST /lazyloadconfig/sync (docs/design.md §6): the global-sidecar objects of every namespace the mode
// names, each valid for its schema, and a status listing what was rendered and every config error.
import { describe, expect, it } from 'vitest';
import { parsePortsFile } from '../src/forwarder/ports.js';
import { createApp } from '../src/server.js';
import { type Obj, emittedObjectErrors } from './support/schemas.js';

const NOW = new Date('2026-03-04T05:06:07Z');
const app = createApp({ now: () => NOW });

function request(spec: Obj, extra: Obj = {}): Obj {
  return {
    controller: {
      apiVersion: 'metacontroller.k8s.io/v1alpha1',
      kind: 'CompositeController',
      metadata: { name: 'lazyload-lazyloadconfig' },
      spec: { childResources: [{ apiVersion: 'networking.istio.io/v1beta1', resource: 'destinationrules' }] },
    },
    parent: { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'LazyloadConfig', metadata: { name: 'default', ...extra.metadata }, spec, status: extra.status },
    children: {},
    related: {},
    finalizing: false,
  };
}

async function sync(body: Obj): Promise<{ status: number; body: Obj; text: string }> {
  const res = await app.request('/lazyloadconfig/sync', { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

const summary = (children: Obj[]) => children.map((c) => `${c.kind} ${c.metadata.namespace}/${c.metadata.name}`);

describe('lazyloadconfig sync', () => {
  it('renders one global sidecar in the controller namespace by default', async () => {
    const { body } = await sync(request({}));
    expect(summary(body.children)).toEqual([
      'ServiceAccount mesh-operator/global-sidecar',
      'ConfigMap mesh-operator/global-sidecar',
      'Service mesh-operator/global-sidecar',
      'Deployment mesh-operator/global-sidecar',
      'PodDisruptionBudget mesh-operator/global-sidecar',
      'EnvoyFilter mesh-operator/global-sidecar-metadata-exchange-remove',
    ]);
    expect(body.status.globalSidecar).toEqual({ mode: 'cluster', namespaces: ['mesh-operator'], ports: [80] });
    expect(body.status.rendered).toHaveLength(6);
    expect(body.status.conditions).toEqual([
      { type: 'ConfigValid', status: 'True', reason: 'Valid', message: 'every field is valid', lastTransitionTime: '2026-03-04T05:06:07Z' },
    ]);
  });

  it('runs two replicas by default, so one serves while the other is drained', async () => {
    const { body } = await sync(request({}));
    expect(body.children.find((c: Obj) => c.kind === 'Deployment').spec.replicas).toBe(2);
  });

  it('lets at most one global-sidecar pod be evicted at a time', async () => {
    const { body } = await sync(request({ globalSidecar: { namespace: 'gs' } }));
    const deployment = body.children.find((c: Obj) => c.kind === 'Deployment');
    expect(body.children.find((c: Obj) => c.kind === 'PodDisruptionBudget')).toEqual({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { labels: { app: 'global-sidecar' }, name: 'global-sidecar', namespace: 'gs' },
      spec: { maxUnavailable: 1, selector: deployment.spec.selector },
    });
  });

  it('keeps the PodDisruptionBudget at 0 replicas, so scaling adds or removes no object', async () => {
    const { body } = await sync(request({ globalSidecar: { replicas: 0 } }));
    expect(body.status.errors).toEqual([]);
    expect(body.children.find((c: Obj) => c.kind === 'Deployment').spec.replicas).toBe(0);
    expect(summary(body.children)).toEqual(summary((await sync(request({}))).body.children));
  });

  it('emits the PodDisruptionBudget at the apiVersion the controller declares', async () => {
    const body = request({});
    body.controller.spec.childResources.push({ apiVersion: 'policy/v1beta1', resource: 'poddisruptionbudgets' });
    const pdb = (await sync(body)).body.children.find((c: Obj) => c.kind === 'PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1beta1');
    expect(emittedObjectErrors(pdb)).toEqual([]);
  });

  it('spreads the pods over nodes and zones, preferring and never requiring it', async () => {
    const { body } = await sync(request({}));
    const pod = body.children.find((c: Obj) => c.kind === 'Deployment').spec.template;
    expect(pod.spec.topologySpreadConstraints).toEqual(
      ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
        labelSelector: { matchLabels: { app: pod.metadata.labels.app } },
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: 'ScheduleAnyway',
      })),
    );
  });

  it('mounts no API token: neither the ServiceAccount nor the pod asks for one', async () => {
    const { body } = await sync(request({}));
    const serviceAccount = body.children.find((c: Obj) => c.kind === 'ServiceAccount');
    const pod = body.children.find((c: Obj) => c.kind === 'Deployment').spec.template.spec;
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(serviceAccount.metadata.name);
  });

  it('emits only objects valid for their schemas', async () => {
    const { body } = await sync(request({ wormholePort: [9080, '15014'], supportH2: true, globalSidecar: { replicas: 3, resources: { requests: { cpu: '1' } } } }));
    for (const child of body.children) {
      expect(emittedObjectErrors(child), `${child.kind} ${child.metadata.name}`).toEqual([]);
    }
  });

  it('gives the Service, ConfigMap and Deployment the wormhole ports in config order, the global-sidecar port last', async () => {
    const { body } = await sync(request({ wormholePort: ['9080', '15014'] }));
    const [, configMap, service, deployment] = body.children;
    expect(service.spec.ports.map((p: Obj) => [p.name, p.port, p.targetPort])).toEqual([['http-9080', 9080, 9080], ['http-15014', 15014, 15014], ['http-80', 80, 80]]);
    expect(service.metadata.labels['slime.io/serviceFenced']).toBe('false');
    expect(configMap.data.cfg).toBe('wormholePorts:\n- 9080\n- 15014\n- 80\n');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports.map((p: Obj) => p.containerPort)).toEqual([9080, 15014, 80, 18181]);
    expect(body.status.globalSidecar.ports).toEqual([9080, 15014, 80]);
  });

  it('runs an injected forwarder marked as the global sidecar, probed on its probe port', async () => {
    const { body } = await sync(request({ globalSidecar: { probePort: 19000, image: 'registry.example/lazyload:1.2.3', replicas: 2 } }));
    const deployment = body.children.find((c: Obj) => c.kind === 'Deployment');
    const pod = deployment.spec.template;
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.metadata.labels).toEqual({ app: 'global-sidecar', 'sidecar.istio.io/inject': 'true' });
    expect(pod.metadata.annotations['proxy.istio.io/config']).toBe('proxyMetadata:\n  ISTIO_META_SLIME_APP: LAZYLOAD_GLOBAL_SIDECAR\n');
    const [container] = pod.spec.containers;
    expect(container.image).toBe('registry.example/lazyload:1.2.3');
    expect(container.args).toEqual(['forwarder']);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz/ready', port: 19000 });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz/live', port: 19000 });
    expect(container.env).toContainEqual({ name: 'PROBE_PORT', value: '19000' });
    expect(container.env).toContainEqual({ name: 'WORMHOLE_PORTS_FILE', value: '/etc/lazyload/global-sidecar/cfg' });
  });

  it('wires the forwarder to the ConfigMap it reads its ports from, and Prometheus to its metrics', async () => {
    const { body } = await sync(request({ wormholePort: ['9080'], globalSidecar: { probePort: 19000 } }));
    const [, configMap, service, deployment] = body.children;
    const pod = deployment.spec.template;
    const [container] = pod.spec.containers;
    const env = Object.fromEntries(container.env.map((e: Obj) => [e.name, e.value]));
    const mount = container.volumeMounts.find((m: Obj) => env.WORMHOLE_PORTS_FILE.startsWith(`${m.mountPath}/`));
    const volume = pod.spec.volumes.find((v: Obj) => v.name === mount.name);
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const key = env.WORMHOLE_PORTS_FILE.slice(mount.mountPath.length + 1);
    const read = parsePortsFile(configMap.data[key]);
    expect(read).toEqual({ ok: true, ports: service.spec.ports.map((p: Obj) => p.port).sort((a: number, b: number) => a - b) });
    expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': env.PROBE_PORT, 'prometheus.io/path': '/metrics' });
  });

  it("runs the hook server's own image when the config names none, and the config's when it does", async () => {
    const own = createApp({ now: () => NOW, globalSidecarImage: 'registry.example/lazyload:9.9.9' });
    const image = async (spec: Obj) => {
      const res = await own.request('/lazyloadconfig/sync', { method: 'POST', body: JSON.stringify(request(spec)) });
      const body = (await res.json()) as Obj;
      return body.children.find((c: Obj) => c.kind === 'Deployment').spec.template.spec.containers[0].image;
    };
    expect(await image({})).toBe('registry.example/lazyload:9.9.9');
    expect(await image({ globalSidecar: { image: 'mine:1' } })).toBe('mine:1');
  });

  it('labels the pods with the Istio revision when selfResourceRev is set', async () => {
    const { body } = await sync(request({ selfResourceRev: 'canary' }));
    const deployment = body.children.find((c: Obj) => c.kind === 'Deployment');
    expect(deployment.spec.template.metadata.labels).toEqual({ app: 'global-sidecar', 'istio.io/rev': 'canary' });
  });

  it('renders one global sidecar per listed namespace in namespace mode', async () => {
    const { body } = await sync(request({ globalSidecar: { mode: 'namespace', namespaces: ['shop', 'pay', 'shop'] } }));
    expect(body.status.globalSidecar).toEqual({ mode: 'namespace', namespaces: ['shop', 'pay'], ports: [80] });
    expect(body.children.filter((c: Obj) => c.kind === 'Deployment').map((c: Obj) => c.metadata.namespace)).toEqual(['shop', 'pay']);
    expect(body.children).toHaveLength(12);
  });

  it('renders nothing in mode none', async () => {
    const { body } = await sync(request({ globalSidecarMode: 'no' }));
    expect(body.children).toEqual([]);
    expect(body.status.globalSidecar).toEqual({ mode: 'none', namespaces: [], ports: [] });
    expect(body.status.rendered).toEqual([]);
  });

  it('adds a DestinationRule keeping the client protocol with supportH2, at the declared version', async () => {
    const { body } = await sync(request({ supportH2: true, globalSidecar: { namespace: 'gs' } }));
    expect(body.children.find((c: Obj) => c.kind === 'DestinationRule')).toEqual({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
      metadata: { name: 'global-sidecar', namespace: 'gs' },
      spec: { host: 'global-sidecar.gs.svc.cluster.local', trafficPolicy: { connectionPool: { http: { useClientProtocol: true } } } },
    });
  });

  it('lists every config error by field, and unknown fields as warnings', async () => {
    const { body } = await sync(
      request({
        wormholePort: ['http'],
        globalSidecar: { mode: 'namespace', probePort: 80 },
        dispatches: [{ name: 'gw', domains: ['x.com'], cluster: 'outbound|{{port}}||{{values.gw}}' }],
        colour: 'blue',
      }),
    );
    expect(body.status.errors.map((e: Obj) => e.field)).toEqual(['spec.wormholePort[0]', 'spec.globalSidecar.namespaces', 'spec.globalSidecar.probePort']);
    expect(body.status.warnings).toEqual([{ field: 'spec.colour', message: 'unknown field, ignored' }]);
    const [condition] = body.status.conditions;
    expect(condition).toMatchObject({ type: 'ConfigValid', status: 'False', reason: 'InvalidFields' });
    expect(condition.message).toContain('spec.wormholePort[0]: must be a port number from 1 to 65535, got "http"');
  });

  it('tries each dispatch template with a sample fence, so a missing value shows here', async () => {
    const { body } = await sync(request({ dispatches: [{ name: 'gw', domains: ['x.com'], cluster: 'outbound|{{port}}||{{values.gw}}' }] }));
    expect(body.status.errors).toEqual([
      {
        field: 'spec.dispatches[0].cluster',
        message: 'dispatch "gw" left out: cluster template fails for port 80: "gw" is not defined (line 1, column 22) (tried with a sample fence in namespace mesh-operator)',
      },
    ]);
  });

  it('ignores a LazyloadConfig not named default and says so', async () => {
    const { body } = await sync(request({}, { metadata: { name: 'other' } }));
    expect(body.children).toEqual([]);
    expect(body.status.conditions[0]).toMatchObject({ status: 'False', reason: 'NotDefault' });
  });

  it('keeps the transition time of an unchanged condition', async () => {
    const previous = [{ type: 'ConfigValid', status: 'True', reason: 'Valid', message: 'every field is valid', lastTransitionTime: '2025-01-01T00:00:00Z' }];
    const { body } = await sync(request({}, { status: { conditions: previous } }));
    expect(body.status.conditions).toEqual(previous);
  });

  it('answers byte-identical JSON for the same request', async () => {
    const body = request({ wormholePort: [9080], supportH2: true, globalSidecar: { mode: 'namespace', namespaces: ['a', 'b'] } });
    expect((await sync(body)).text).toBe((await sync(structuredClone(body))).text);
  });

  it('refuses a namespaced parent with 422', async () => {
    const res = await sync(request({}, { metadata: { name: 'default', namespace: 'x' } }));
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('parent LazyloadConfig is cluster-scoped, but has metadata.namespace "x"');
  });
});
