// Every fixture in fixtures/ replays through the real app with the answer it records, and every
// child a fixture expects is valid for its schema (Istio's CRDs, the Kubernetes models).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/cli.js';
import { fixtureFiles, loadFixture, replay } from '../src/cli/replay.js';
import { type Obj, emittedObjectErrors, errorsOf, istioSchema, repoRoot } from './support/schemas.js';

const fixturesDir = path.join(repoRoot, 'fixtures');
const files = fixtureFiles([fixturesDir]);

describe('fixtures', () => {
  it('has at least 20 fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  describe.each(files.map((f) => [path.relative(fixturesDir, f), f]))('%s', (_name, file) => {
    const fixture = loadFixture(file);

    it('replays with the recorded answer', async () => {
      const result = await replay(fixture);
      expect(result.differences).toEqual([]);
    });

    it('expects only schema-valid children and attachments', () => {
      const body = fixture.expected.body as Obj;
      const children: Obj[] = [...(body?.children ?? []), ...(body?.attachments ?? [])];
      for (const child of children) {
        expect(emittedObjectErrors(child), `${child.kind} ${child.metadata.name}`).toEqual([]);
      }
    });
  });
});

describe('the schema check of children', () => {
  it('rejects a malformed Sidecar, so a fixture cannot pass it by accident', () => {
    const bad = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'x' }, spec: { egress: [{ hosts: '*/a' }] } };
    expect(errorsOf(istioSchema('istio-sidecar-crd.yaml', 'v1'), bad)).toContain('/spec/egress/0/hosts must be array');
  });

  it('rejects a malformed DestinationRule', () => {
    const bad = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'x' }, spec: { host: 'a', trafficPolicy: { connectionPool: { http: { h2UpgradePolicy: 'SOMETIMES' } } } } };
    expect(emittedObjectErrors(bad).join('\n')).toMatch(/h2UpgradePolicy/);
  });

  it('rejects an EnvoyFilter patch with an unknown operation', () => {
    const bad = { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'x' }, spec: { configPatches: [{ applyTo: 'VIRTUAL_HOST', patch: { operation: 'DROP' } }] } };
    expect(emittedObjectErrors(bad).join('\n')).toContain('/spec/configPatches/0/patch/operation must be equal to one of the allowed values');
  });

  it('rejects a ServiceFence whose enable is not a boolean', () => {
    const bad = { apiVersion: 'microservice.slime.io/v1alpha1', kind: 'ServiceFence', metadata: { name: 'x' }, spec: { enable: 'yes' } };
    expect(emittedObjectErrors(bad).join('\n')).toContain('/spec/enable must be boolean');
  });

  it('rejects a PodDisruptionBudget whose maxUnavailable is neither a number nor a string', () => {
    const bad = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: { maxUnavailable: true, selector: {} } };
    expect(emittedObjectErrors(bad).join('\n')).toContain('maxUnavailable');
  });

  it('rejects a Deployment whose container port is not a number', () => {
    const bad = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: '80' }] }] } } },
    };
    expect(emittedObjectErrors(bad).join('\n')).toContain('containerPort must be integer');
  });
});

describe('lazyload replay', () => {
  const quiet = async (args: string[]) => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(' '));
    try {
      return { code: await main(args), output: lines.join('\n') };
    } finally {
      console.log = log;
    }
  };

  it('exits 0 when every fixture matches', async () => {
    const { code, output } = await quiet(['replay', fixturesDir]);
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`^${files.length} passed, 0 failed$`, 'm'));
  });

  it('exits 2 with its usage on an unknown option', async () => {
    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => errors.push(a.join(' '));
    try {
      expect(await main(['replay', '--bogus'])).toBe(2);
    } finally {
      console.error = error;
    }
    expect(errors.join('\n')).toMatch(/^lazyload replay: Unknown option '--bogus'.*\n\nUsage: lazyload replay/s);
  });

  it('says there is no fixture in a folder without one, exit 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lazyload-replay-'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a fixture\n');
    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => errors.push(a.join(' '));
    try {
      const { code, output } = await quiet(['replay', dir]);
      expect(code).toBe(1);
      expect(output).toBe('');
    } finally {
      console.error = error;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(errors).toEqual([`lazyload replay: no fixtures in ${dir} (fixtures are .yaml, .yml or .json files)`]);
  });

  it('exits 1 and prints a diff naming the field when an expectation is wrong', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lazyload-replay-'));
    const source = path.join(fixturesDir, 'servicefence', 'we3-static-dependencies.yaml');
    const copy = path.join(dir, 'wrong.yaml');
    cpSync(source, copy);
    const doc = load(readFileSync(copy, 'utf8')) as Obj;
    doc.response.body.children[0].spec.egress[0].hosts[0] = '*/not-expected.example.com';
    writeFileSync(copy, dump(doc));

    const { code, output } = await quiet(['replay', copy]);
    expect(code).toBe(1);
    expect(output).toContain(`FAIL ${copy}`);
    expect(output).toContain('$.children[0].spec.egress[0].hosts[0]: expected "*/not-expected.example.com", got "*/api.example.com"');
    expect(output).toMatch(/^0 passed, 1 failed$/m);
  });
});
