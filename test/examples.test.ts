// The YAML under examples/ is what the README and docs/ tell readers to apply and render: every file
// must keep rendering through the real `lazyload render`, and the outputs the walkthrough shows must
// stay the outputs users get.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_EXTENSIONS } from '../src/cli/inputs.js';
import { kindsOf, objectsOf, runLazyload } from './support/cli.js';
import { repoRoot } from './support/schemas.js';

const examples = readdirSync(path.join(repoRoot, 'examples'))
  .filter((f) => MANIFEST_EXTENSIONS.includes(path.extname(f)))
  .sort();

const render = (...files: string[]) => runLazyload(['render', ...files.flatMap((f) => (f.startsWith('--') ? [f] : ['-f', `examples/${f}`]))]);

// Lines that are not `note:` or `warning:` are errors, whatever the exit code says.
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !/^(note|warning): /.test(l));
const sidecarHosts = (stdout: string): string[] => objectsOf(stdout).find((o) => o.kind === 'Sidecar')!.spec.egress[0].hosts;

describe('examples/', () => {
  it('holds examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples)('%s renders with exit 0 and no error', (file) => {
    const out = render(file);
    expect(errorLines(out.stderr)).toEqual([]);
    expect(out.code).toBe(0);
  });

  it("the walkthrough's new fence gets a Sidecar with only the mesh's own namespaces, and an EnvoyFilter", () => {
    const out = render('lazyloadconfig.yaml', 'service.yaml', 'servicefence.yaml');
    expect(out.code).toBe(0);
    expect(kindsOf(out.stdout)).toEqual(['Sidecar bookinfo/productpage', 'EnvoyFilter bookinfo/productpage-to-global-sidecar']);
    expect(sidecarHosts(out.stdout)).toEqual(['istio-system/*', 'mesh-operator/*']);
  });

  it("the walkthrough's fence, once it has learned its calls, gets a Sidecar that lists them", () => {
    const out = render('lazyloadconfig.yaml', 'service.yaml', 'servicefence-learned.yaml');
    expect(out.code).toBe(0);
    expect(sidecarHosts(out.stdout)).toEqual(['*/details.bookinfo.svc.cluster.local', '*/reviews.bookinfo.svc.cluster.local', 'istio-system/*', 'mesh-operator/*']);
  });

  it("the walkthrough's config renders the global sidecar in mesh-operator", () => {
    const out = render('lazyloadconfig.yaml');
    expect(out.code).toBe(0);
    expect(kindsOf(out.stdout)).toEqual([
      'ServiceAccount mesh-operator/global-sidecar',
      'ConfigMap mesh-operator/global-sidecar',
      'Service mesh-operator/global-sidecar',
      'Deployment mesh-operator/global-sidecar',
      'PodDisruptionBudget mesh-operator/global-sidecar',
      'EnvoyFilter mesh-operator/global-sidecar-metadata-exchange-remove',
    ]);
  });

  it("the static fence's deadline host is in its Sidecar until the deadline, and gone after it", () => {
    const before = render('servicefence-static.yaml', '--now=2029-12-31T23:59:59Z');
    const after = render('servicefence-static.yaml', '--now=2030-01-01T00:00:01Z');
    expect(sidecarHosts(before.stdout)).toContain('*/ratings.bookinfo.svc.cluster.local');
    expect(sidecarHosts(after.stdout)).not.toContain('*/ratings.bookinfo.svc.cluster.local');
    expect(sidecarHosts(after.stdout)).toContain('*/reviews.bookinfo.svc.cluster.local');
  });
});
