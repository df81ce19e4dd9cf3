// `lazyload render`: the objects the hooks would emit for YAML input, without a cluster. Most tests
// call `render` directly; the CLI tests spawn the real command to check stdin, exit codes and streams.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type RenderOutput, render } from '../src/cli/render.js';
import { kindsOf, objectsOf, runLazyload } from './support/cli.js';
import { type Obj, emittedObjectErrors, errorsOf, istioSchema, repoRoot } from './support/schemas.js';

const dir = path.join(repoRoot, 'test', 'render');
const NOW = new Date('2024-01-01T00:00:00Z');

/** The named files of test/render, named in messages as `test/render/<file>`. */
function renderFiles(names: string[], options: { namespace?: string; now?: Date; globalSidecar?: boolean } = {}): RenderOutput {
  const files = names.map((n) => ({ name: `test/render/${n}`, text: readFileSync(path.join(dir, n), 'utf8') }));
  return render({ files, namespace: options.namespace ?? 'default', now: options.now ?? NOW, globalSidecar: options.globalSidecar ?? false });
}

const sidecarHosts = (o: Obj): string[] => o.spec.egress[0].hosts;
const vhostNames = (envoyFilter: Obj): string[][] =>
  envoyFilter.spec.configPatches
    .filter((p: Obj) => p.applyTo === 'ROUTE_CONFIGURATION')
    .map((p: Obj) => p.patch.value.virtual_hosts.map((v: Obj) => v.name));

const cli = (args: string[], input?: string) => runLazyload(['render', ...args], { input });

const GLOBAL_SIDECAR_KINDS = ['ServiceAccount', 'ConfigMap', 'Service', 'Deployment', 'PodDisruptionBudget', 'EnvoyFilter'];

/** One inline YAML stream, named x.yaml in messages. */
const renderText = (text: string): RenderOutput => render({ files: [{ name: 'x.yaml', text }], namespace: 'default', now: NOW, globalSidecar: false });

const AUTO_FENCE_ON = `apiVersion: microservice.slime.io/v1alpha1
kind: LazyloadConfig
metadata: {name: default}
spec: {autoFence: true}
`;
const NAMESPACE_FENCED = `apiVersion: v1
kind: Namespace
metadata: {name: bookinfo, labels: {slime.io/serviceFenced: "true"}}
`;
const SERVICE_REVIEWS = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec: {selector: {app: reviews}}
`;
const OUR_FENCE_REVIEWS = `apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: reviews, namespace: bookinfo, labels: {app.kubernetes.io/created-by: fence-controller}}
spec: {enable: true, workloadSelector: {fromService: true}}
`;
const autoFenceNotes = (out: RenderOutput): string[] => out.warnings.filter((w) => w.includes('auto-fence') || w.includes('would be deleted'));

describe('lazyload render', () => {
  describe('fences', () => {
    const out = renderFiles(['config-dispatches.yaml', 'fence-learned.yaml']);

    it('puts a dependency learned in status.metricStatus into the Sidecar', () => {
      const [sidecar] = objectsOf(out.stdout);
      expect(sidecar.kind).toBe('Sidecar');
      expect(sidecarHosts(sidecar)).toContain('*/reviews.default.svc.cluster.local');
      expect(sidecarHosts(sidecar)).toContain('*/details.default.svc.cluster.local');
      expect(sidecar.spec.workloadSelector.labels).toEqual({ app: 'productpage' });
      expect(out.errors).toEqual([]);
    });

    it('routes the dispatches of the config in the EnvoyFilter, on every wormhole port', () => {
      const envoyFilter = objectsOf(out.stdout)[1];
      expect(envoyFilter.kind).toBe('EnvoyFilter');
      expect(envoyFilter.metadata.name).toBe('productpage-to-global-sidecar');
      expect(vhostNames(envoyFilter)).toEqual([
        ['n163', 'per-namespace', 'allow_all'],
        ['n163', 'per-namespace', 'allow_all'],
      ]);
      expect(JSON.stringify(envoyFilter)).toContain('outbound|9080||egress.default.svc.cluster.local');
    });

    it('prints Istio objects that validate against the Istio CRD schemas', () => {
      const objects = objectsOf(out.stdout);
      expect(objects.map((o) => o.kind)).toEqual(['Sidecar', 'EnvoyFilter']);
      for (const o of objects) {
        const [group, version] = o.apiVersion.split('/');
        expect(group).toBe('networking.istio.io');
        const file = o.kind === 'Sidecar' ? 'istio-sidecar-crd.yaml' : 'istio-envoyfilter-crd.yaml';
        expect(errorsOf(istioSchema(file, version), o), `${o.kind} ${o.metadata.name}`).toEqual([]);
      }
    });

    it('separates documents with --- and writes apiVersion, kind, metadata first', () => {
      const docs = out.stdout.split(/^---\n/m);
      expect(docs).toHaveLength(2);
      for (const doc of docs) expect(doc).toMatch(/^apiVersion: .*\nkind: .*\nmetadata:\n/);
    });

    it('gives namespaced objects without a namespace the --namespace one', () => {
      const other = renderFiles(['config-dispatches.yaml', 'fence-learned.yaml'], { namespace: 'bookinfo' });
      const [sidecar] = objectsOf(other.stdout);
      expect(sidecar.metadata.namespace).toBe('bookinfo');
      // The Service was defaulted too: the fence still finds it and its selector.
      expect(sidecar.spec.workloadSelector.labels).toEqual({ app: 'productpage' });
    });

    it('skips other kinds with a note, not an error', () => {
      expect(out.errors).toEqual([]);
      expect(out.warnings).toContain(
        'note: test/render/fence-learned.yaml: document 3 (Deployment productpage): skipped: render reads only LazyloadConfig, ServiceFence, Service (v1) and Namespace (v1)',
      );
    });

    it('reads the items of a kind: List', () => {
      const listed = renderFiles(['list.yaml']);
      expect(listed.errors).toEqual([]);
      expect(kindsOf(listed.stdout)).toEqual(['Sidecar bookinfo/reviews', 'EnvoyFilter bookinfo/reviews-to-global-sidecar']);
      expect(objectsOf(listed.stdout)[0].spec.workloadSelector.labels).toEqual({ app: 'reviews', version: 'v2' });
    });

    it('evaluates deadlines at --now', () => {
      const before = objectsOf(renderFiles(['fence-deadline.yaml'], { now: new Date('2023-11-14T22:13:19Z') }).stdout)[0];
      const after = objectsOf(renderFiles(['fence-deadline.yaml'], { now: new Date('2023-11-14T22:13:21Z') }).stdout)[0];
      expect(sidecarHosts(before)).toContain('*/details.bookinfo.svc.cluster.local');
      expect(sidecarHosts(after)).not.toContain('*/details.bookinfo.svc.cluster.local');
    });

    it('prints the global-sidecar objects after the fence objects with --global-sidecar', () => {
      const both = renderFiles(['config-dispatches.yaml', 'fence-learned.yaml'], { globalSidecar: true });
      expect(objectsOf(both.stdout).map((o) => o.kind)).toEqual(['Sidecar', 'EnvoyFilter', ...GLOBAL_SIDECAR_KINDS]);
      expect(both.errors).toEqual([]);
      expect(both.warnings.filter((w) => w.includes('--global-sidecar'))).toEqual([]);
    });

    it('warns, without an error, when a fromService fence has no Service and so no Sidecar', () => {
      const lonely = renderFiles(['fence-without-service.yaml']);
      expect(lonely.stdout).toBe('');
      expect(lonely.errors).toEqual([]);
      expect(lonely.warnings).toContainEqual(
        expect.stringMatching(/^warning: test\/render\/fence-without-service\.yaml: document 1 \(ServiceFence bookinfo\/details\): Service details not found/),
      );
    });

    it("reports a fence's spec errors against its own document and still renders it", () => {
      const bad = renderFiles(['fence-bad-spec.yaml']);
      expect(bad.errors).toEqual([
        'test/render/fence-bad-spec.yaml: document 2 (ServiceFence bookinfo/ratings): spec.namespaceSelector: must be a list, got string "shop"',
      ]);
      expect(kindsOf(bad.stdout)).toEqual(['Sidecar bookinfo/ratings', 'EnvoyFilter bookinfo/ratings-to-global-sidecar']);
    });
  });

  describe('only a LazyloadConfig', () => {
    it('prints the global-sidecar objects in mode cluster', () => {
      const out = renderFiles(['config-cluster.yaml']);
      expect(out.errors).toEqual([]);
      expect(objectsOf(out.stdout).map((o) => o.kind)).toEqual(GLOBAL_SIDECAR_KINDS);
      expect(new Set(objectsOf(out.stdout).map((o) => o.metadata.namespace))).toEqual(new Set(['mesh-operator']));
    });

    it('prints one set per namespace in mode namespace', () => {
      const out = renderFiles(['config-namespace-mode.yaml']);
      expect(out.errors).toEqual([]);
      expect(objectsOf(out.stdout).map((o) => `${o.kind} ${o.metadata.namespace}`)).toEqual([
        ...GLOBAL_SIDECAR_KINDS.map((k) => `${k} bookinfo`),
        ...GLOBAL_SIDECAR_KINDS.map((k) => `${k} shop`),
      ]);
    });

    it('prints nothing in mode none', () => {
      const out = renderFiles(['config-none.yaml']);
      expect(out.stdout).toBe('');
      expect(out.errors).toEqual([]);
    });

    it('reports unknown config fields as warnings, not errors', () => {
      const out = renderFiles(['config-unknown-field.yaml']);
      expect(out.errors).toEqual([]);
      expect(out.warnings).toContain('warning: test/render/config-unknown-field.yaml: document 1 (LazyloadConfig default): spec.wormholePorts: unknown field, ignored');
    });

    it('rejects a config not named default and a second one named default, and uses the first default', () => {
      const out = renderFiles(['configs-not-default-and-twice.yaml']);
      expect(out.errors).toEqual([
        'test/render/configs-not-default-and-twice.yaml: document 1 (LazyloadConfig staging): metadata.name: the hooks read only the LazyloadConfig named default; this one is ignored',
        'test/render/configs-not-default-and-twice.yaml: document 3 (LazyloadConfig default): metadata.name: the same object as test/render/configs-not-default-and-twice.yaml: document 2 (LazyloadConfig default); only the first is read',
      ]);
      expect(new Set(objectsOf(out.stdout).map((o) => o.metadata.namespace))).toEqual(new Set(['lazyload']));
    });
  });

  describe('auto-fence', () => {
    const out = renderFiles(['autofence.yaml']);

    it('gives a Service in a namespace labelled serviceFenced "true" its auto fence, printed before its Sidecar', () => {
      expect(out.errors).toEqual([]);
      expect(kindsOf(out.stdout)).toEqual(['ServiceFence bookinfo/reviews', 'Sidecar bookinfo/reviews', 'EnvoyFilter bookinfo/reviews-to-global-sidecar']);
      const [fence, sidecar] = objectsOf(out.stdout);
      expect(fence.metadata.labels).toEqual({ 'app.kubernetes.io/created-by': 'fence-controller' });
      expect(fence.spec).toEqual({ enable: true, workloadSelector: { fromService: true } });
      expect(emittedObjectErrors(fence)).toEqual([]);
      expect(sidecar.spec.workloadSelector.labels).toEqual({ app: 'reviews' });
      expect(out.warnings).toContain(
        'note: test/render/autofence.yaml: document 4 (Service bookinfo/reviews): auto-fence: fenced: label slime.io/serviceFenced="true" on namespace bookinfo',
      );
    });

    it('gives a Service in a namespace labelled serviceFenced "false" no fence, and says why', () => {
      expect(kindsOf(out.stdout).filter((k) => k.includes('shop/'))).toEqual([]);
      expect(out.warnings).toContain(
        'note: test/render/autofence.yaml: document 5 (Service shop/cart): auto-fence: not fenced: label slime.io/serviceFenced="false" on namespace shop',
      );
    });

    it('notes that an auto fence of the input would be deleted, and renders nothing for it', () => {
      const removed = renderFiles(['autofence-ours-removed.yaml']);
      expect(removed.errors).toEqual([]);
      expect(removed.stdout).toBe('');
      expect(autoFenceNotes(removed)).toEqual([
        'note: test/render/autofence-ours-removed.yaml: document 3 (Service shop/cart): ServiceFence shop/cart would be deleted: not fenced: label slime.io/serviceFenced="false" on namespace shop',
      ]);
    });

    it('renders a hand-made fence as it is and notes that auto-fence never touches it', () => {
      const handMade = renderFiles(['autofence-hand-made.yaml']);
      expect(handMade.errors).toEqual([]);
      expect(kindsOf(handMade.stdout)).toEqual(['Sidecar bookinfo/ratings', 'EnvoyFilter bookinfo/ratings-to-global-sidecar']);
      expect(sidecarHosts(objectsOf(handMade.stdout)[0])).toContain('*/details.bookinfo.svc.cluster.local');
      expect(autoFenceNotes(handMade)).toEqual([
        'note: test/render/autofence-hand-made.yaml: document 3 (Service bookinfo/ratings): auto-fence: ServiceFence bookinfo/ratings was made by hand (no app.kubernetes.io/created-by=fence-controller): it is never touched',
      ]);
    });

    it('keeps the dependencies an auto fence of the input learned when it renders the auto fence', () => {
      const learned = `${OUR_FENCE_REVIEWS}status:\n  metricStatus:\n    '{destination_service="details.bookinfo.svc.cluster.local"}': '1'\n`;
      const kept = renderText([AUTO_FENCE_ON, NAMESPACE_FENCED, SERVICE_REVIEWS, learned].join('---\n'));
      expect(kept.errors).toEqual([]);
      const [fence, sidecar] = objectsOf(kept.stdout);
      // Printed as the hook emits it: Metacontroller never applies a status.
      expect(fence.status).toBeUndefined();
      expect(sidecarHosts(sidecar)).toContain('*/details.bookinfo.svc.cluster.local');
    });

    it('asks for the Namespace when the decision needs its labels and the input lacks it', () => {
      const missing = renderText([AUTO_FENCE_ON, SERVICE_REVIEWS].join('---\n'));
      expect(autoFenceNotes(missing)).toEqual([
        'note: x.yaml: document 2 (Service bookinfo/reviews): auto-fence: Namespace bookinfo was not in the request: auto fences stay as they are (add the Namespace to the input)',
      ]);
      expect(kindsOf(missing.stdout).filter((k) => k.startsWith('ServiceFence'))).toEqual([]);
    });

    it('says nothing about Services when autoFence is off, but notes that an auto fence of the input would be deleted', () => {
      const off = renderText([AUTO_FENCE_ON.replace('autoFence: true', 'autoFence: false'), NAMESPACE_FENCED, SERVICE_REVIEWS, OUR_FENCE_REVIEWS].join('---\n'));
      expect(off.errors).toEqual([]);
      expect(autoFenceNotes(off)).toEqual(['note: x.yaml: document 3 (Service bookinfo/reviews): ServiceFence bookinfo/reviews would be deleted: autoFence is off']);
      expect(off.stdout).toBe('');
      const noFence = renderText([AUTO_FENCE_ON.replace('autoFence: true', 'autoFence: false'), NAMESPACE_FENCED, SERVICE_REVIEWS].join('---\n'));
      expect(autoFenceNotes(noFence)).toEqual([]);
    });

    it('takes a fence owned by another object as not ours, as Metacontroller would, and leaves it alone', () => {
      const owned = OUR_FENCE_REVIEWS.replace('labels: {app.kubernetes.io/created-by: fence-controller}}', 'labels: {app.kubernetes.io/created-by: fence-controller}, ownerReferences: [{apiVersion: v1, kind: Service, name: ratings, uid: u1, controller: true}]}');
      const out = renderText([AUTO_FENCE_ON, NAMESPACE_FENCED, SERVICE_REVIEWS, owned].join('---\n'));
      expect(autoFenceNotes(out)).toEqual([expect.stringContaining('auto-fence: ServiceFence bookinfo/reviews carries app.kubernetes.io/created-by=fence-controller but does not belong to this Service')]);
      expect(kindsOf(out.stdout)).toEqual(['Sidecar bookinfo/reviews', 'EnvoyFilter bookinfo/reviews-to-global-sidecar']);
    });

    it('reads a Namespace as cluster-scoped: a metadata.namespace given to it is dropped, -n is not applied', () => {
      const twice = renderText([NAMESPACE_FENCED, NAMESPACE_FENCED.replace('name: bookinfo,', 'name: bookinfo, namespace: shop,')].join('---\n'));
      expect(twice.errors).toEqual(['x.yaml: document 2 (Namespace bookinfo): metadata.name: the same object as x.yaml: document 1 (Namespace bookinfo); only the first is read']);
      expect(twice.warnings.filter((w) => w.includes('skipped'))).toEqual([]);
    });
  });

  describe('fences that share their pods', () => {
    // The example docs/servicefence.md shows.
    const out = render({ files: [{ name: 'examples/shared-pods.yaml', text: readFileSync(path.join(repoRoot, 'examples', 'shared-pods.yaml'), 'utf8') }], namespace: 'default', now: NOW, globalSidecar: false });

    it('prints one Sidecar and one EnvoyFilter for cart and cart-headless, written by cart', () => {
      expect(out.errors).toEqual([]);
      expect(kindsOf(out.stdout)).toEqual([
        'ServiceFence shop/cart',
        'Sidecar shop/cart',
        'EnvoyFilter shop/cart-to-global-sidecar',
        'ServiceFence shop/cart-headless',
      ]);
    });

    it("gives the pods' Sidecar the hosts both fences learned", () => {
      const sidecar = objectsOf(out.stdout).find((o) => o.kind === 'Sidecar')!;
      expect(sidecar.spec.workloadSelector.labels).toEqual({ app: 'cart' });
      expect(sidecarHosts(sidecar)).toEqual(['*/inventory.shop.svc.cluster.local', '*/payments.shop.svc.cluster.local', 'istio-system/*', 'mesh-operator/*']);
    });

    it('notes that cart-headless writes no children of its own', () => {
      expect(out.warnings).toContain(
        "note: examples/shared-pods.yaml: document 4 (Service shop/cart-headless): fence cart writes the Sidecar and EnvoyFilter of the pods selected by app=cart, this fence's among them, with this fence's hosts; this fence writes neither",
      );
    });

    it('warns about fences whose selectors may select the same pods', () => {
      const overlap = renderText(
        [
          'apiVersion: microservice.slime.io/v1alpha1\nkind: ServiceFence\nmetadata: {name: web}\nspec: {enable: true, workloadSelector: {labels: {app: web}}}\n',
          'apiVersion: microservice.slime.io/v1alpha1\nkind: ServiceFence\nmetadata: {name: frontend}\nspec: {enable: true, workloadSelector: {labels: {tier: frontend}}}\n',
        ].join('---\n'),
      );
      expect(overlap.warnings.filter((w) => w.includes('may select the same pods')).map((w) => w.slice(0, w.indexOf('): ') + 1))).toEqual([
        'warning: x.yaml: document 1 (ServiceFence default/web)',
        'warning: x.yaml: document 2 (ServiceFence default/frontend)',
      ]);
    });
  });

  describe('errors', () => {
    it('names the config document and the fence when a dispatch template fails only for that fence', () => {
      const out = renderFiles(['fence-template-fails-for-one.yaml']);
      expect(out.errors).toHaveLength(1);
      expect(out.errors[0]).toMatch(
        /^test\/render\/fence-template-fails-for-one\.yaml: document 1 \(LazyloadConfig default\): spec\.dispatches\[0\]\.cluster: dispatch "egress" left out: .*\(for ServiceFence bookinfo\/ratings\)$/,
      );
      expect(vhostNames(objectsOf(out.stdout)[1])[0]).toEqual(['allow_all']);
    });

    it('reports a document that is not an object, and an object without metadata.name', () => {
      const out = render({
        files: [{ name: 'x.yaml', text: '- 1\n---\napiVersion: v1\nkind: Service\nmetadata: {}\n---\n\n---\nplain\n' }],
        namespace: 'default',
        now: NOW,
        globalSidecar: false,
      });
      expect(out.errors).toEqual([
        'x.yaml: document 1: must be a mapping (a Kubernetes object), got an array',
        'x.yaml: document 2: metadata.name: must be a non-empty string, missing',
        'x.yaml: document 4: must be a mapping (a Kubernetes object), got string "plain"',
      ]);
    });
  });

  it('renders the same input to byte-identical output', () => {
    const files = ['config-dispatches.yaml', 'fence-learned.yaml', 'list.yaml'];
    const first = renderFiles(files, { globalSidecar: true });
    const second = renderFiles(files, { globalSidecar: true });
    expect(second.stdout).toBe(first.stdout);
    expect(second).toEqual(first);
  });

  describe('command line', () => {
    it('prints the rest and names file, document and field of a broken dispatch template, exit 1', () => {
      const r = cli(['-f', 'test/render/broken-template.yaml', '--now', '2024-01-01T00:00:00Z']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'test/render/broken-template.yaml: document 1 (LazyloadConfig default): spec.dispatches[1].cluster: dispatch "nope" left out: cluster template fails for port 80: "nope" is not defined',
      );
      const objects = objectsOf(r.stdout);
      expect(objects.map((o) => o.kind)).toEqual(['Sidecar', 'EnvoyFilter']);
      expect(vhostNames(objects[1])).toEqual([['n163', 'allow_all']]);
    });

    it('names file and line of a YAML syntax error, exit 1, and still renders the other documents', () => {
      const r = cli(['-f', 'test/render/syntax-error.yaml']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^test\/render\/syntax-error\.yaml: document 2: line 14, column 1: YAML syntax error: /m);
      expect(kindsOf(r.stdout)).toEqual(['Sidecar bookinfo/reviews', 'EnvoyFilter bookinfo/reviews-to-global-sidecar']);
    });

    it('reads - from stdin, exit 0', () => {
      const r = cli(['-f', '-', '-n', 'shop'], readFileSync(path.join(dir, 'fence-learned.yaml'), 'utf8'));
      expect(r.code).toBe(0);
      expect(kindsOf(r.stdout)).toEqual(['Sidecar shop/productpage', 'EnvoyFilter shop/productpage-to-global-sidecar']);
      expect(r.stderr).toContain('note: <stdin>: document 3 (Deployment productpage): skipped');
      expect(r.stderr.split('\n').filter((l) => l !== '' && !/^(note|warning): /.test(l))).toEqual([]);
    });

    it('reports a missing file with exit 1 and renders the files it could read', () => {
      const r = cli(['-f', 'test/render/no-such-file.yaml', '-f', 'test/render/config-cluster.yaml']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^test\/render\/no-such-file\.yaml: cannot read: ENOENT/m);
      expect(objectsOf(r.stdout).map((o) => o.kind)).toEqual(GLOBAL_SIDECAR_KINDS);
    });

    describe('a directory given to -f', () => {
      const fence = (name: string) => `{"apiVersion": "microservice.slime.io/v1alpha1", "kind": "ServiceFence", "metadata": {"name": "${name}"}, "spec": {"enable": true}}\n`;
      const tempDir = (): string => {
        const d = mkdtempSync(path.join(tmpdir(), 'lazyload-render-'));
        onTestFinished(() => rmSync(d, { recursive: true, force: true }));
        return d;
      };

      it("reads the directory's .yaml, .yml and .json files in name order, not its subdirectories or other files", () => {
        const d = tempDir();
        writeFileSync(path.join(d, 'b.yaml'), fence('b'));
        writeFileSync(path.join(d, 'a.yml'), fence('a'));
        writeFileSync(path.join(d, 'c.json'), fence('c'));
        writeFileSync(path.join(d, 'd.txt'), fence('d'));
        mkdirSync(path.join(d, 'e'));
        writeFileSync(path.join(d, 'e', 'e.yaml'), fence('e'));
        const r = cli(['-f', d]);
        expect(r.code).toBe(0);
        expect(objectsOf(r.stdout).filter((o) => o.kind === 'Sidecar').map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
      });

      it('names the files of a directory in its messages', () => {
        const d = tempDir();
        writeFileSync(path.join(d, 'app.yaml'), `${fence('a')}---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {name: a}\n`);
        const r = cli(['-f', d]);
        expect(r.stderr).toContain(`note: ${path.join(d, 'app.yaml')}: document 2 (Deployment a): skipped`);
      });

      it('is an error when it holds no manifest, which the message says, exit 1', () => {
        const d = tempDir();
        writeFileSync(path.join(d, 'README.md'), '# not a manifest\n');
        const r = cli(['-f', d, '-f', 'test/render/config-cluster.yaml']);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`${d}: no .yaml, .yml, .json file in this directory`);
        expect(objectsOf(r.stdout).map((o) => o.kind)).toEqual(GLOBAL_SIDECAR_KINDS);
      });
    });

    it('prints usage to stderr and exits 2 without -f', () => {
      const r = cli([]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Usage: lazyload render -f FILE');
    });

    it('refuses a --now that is not an RFC 3339 time, exit 2', () => {
      const r = cli(['-f', 'test/render/fence-deadline.yaml', '--now', 'yesterday']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--now "yesterday" is not an RFC 3339 time');
    });

    it('documents every option in --help', () => {
      const r = cli(['--help']);
      expect(r.code).toBe(0);
      for (const option of ['--filename', '--namespace', '--global-sidecar', '--now', '--help']) expect(r.stdout).toContain(option);
    });
  });
});
