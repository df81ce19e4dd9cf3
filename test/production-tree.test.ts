// The image's tree without a container engine: package.json, the lockfile, bin/, templates/ and a
// freshly compiled dist/ in an empty folder, `npm ci --omit=dev` there, then both servers started
// from it with plain `node`. It proves the compiled code runs with the production dependencies alone.
//
// re2 is a native module. Its install script fetches a prebuilt binary for this platform and Node ABI
// and verifies that it loads, else compiles from source (several minutes on a small machine). The
// image's builder takes whichever path its network allows; here the binary comes from a local mirror
// (re2's RE2_DOWNLOAD_MIRROR) holding the one this checkout's `npm ci` built, so the install takes
// seconds. LAZYLOAD_TEST_BUILD_RE2=1 compiles it from source instead.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fenceSyncRequest } from './support/fence-request.js';
import { freePort, waitFor } from './support/prometheus.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const INSTALL_TIMEOUT_MS = 15 * 60_000;

const work = mkdtempSync(path.join(tmpdir(), 'lazyload-production-'));
const app = path.join(work, 'app');
// npm's scripts (re2's install) must run on the Node that runs the tests, not an older one on PATH.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, NODE_ENV: 'production' };
const children: ChildProcess[] = [];

function re2Mirror(): Record<string, string> {
  if (process.env.LAZYLOAD_TEST_BUILD_RE2) return {};
  const mirror = path.join(work, 're2-mirror');
  mkdirSync(mirror);
  copyFileSync(path.join(repoRoot, 'node_modules/re2/build/Release/re2.node'), path.join(mirror, `${process.platform}-${process.arch}-${process.versions.modules}`));
  return { RE2_DOWNLOAD_MIRROR: mirror, RE2_DOWNLOAD_SKIP_PATH: '1', RE2_DOWNLOAD_SKIP_VER: '1' };
}

beforeAll(async () => {
  mkdirSync(app);
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(repoRoot, f), path.join(app, f));
  for (const d of ['bin', 'templates']) cpSync(path.join(repoRoot, d), path.join(app, d), { recursive: true });
  await run(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')], { cwd: repoRoot, env });
  await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: app, env: { ...env, ...re2Mirror() }, maxBuffer: 64 * 1024 * 1024 });
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(
    children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((done) => c.once('exit', done).kill('SIGKILL')))),
  );
  rmSync(work, { recursive: true, force: true });
});

/** `node bin/lazyload.js ...` in the tree, as the image's entrypoint runs it. */
function lazyload(args: string[], extraEnv: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['bin/lazyload.js', ...args], { cwd: app, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return { child, output: () => output };
}

/** Waits for a 200 from `url`; fails at once, with what the process printed, if it exits first. */
async function ready(url: string, started: { child: ChildProcess; output: () => string }): Promise<void> {
  await waitFor(url, async () => {
    if (started.child.exitCode !== null) throw new Error(`exited with ${started.child.exitCode}:\n${started.output()}`);
    return (await fetch(url)).status === 200 ? true : undefined;
  });
}

describe('the production tree', () => {
  it('holds the production dependencies and no tsx, esbuild, typescript or vitest', () => {
    const installed = (name: string) => existsSync(path.join(app, 'node_modules', name));
    for (const name of ['hono', 'handlebars', 're2', 'prom-client', 'undici']) expect(installed(name), name).toBe(true);
    for (const name of ['tsx', 'esbuild', '@esbuild', 'typescript', 'vitest', 'msw']) expect(installed(name), name).toBe(false);
  });

  it('prints its version from the compiled code', async () => {
    const { stdout } = await run(process.execPath, ['bin/lazyload.js', '--version'], { cwd: app, env });
    expect(stdout).toBe(`${version}\n`);
  });

  it('runs `lazyload serve`: ready, exporting its version, and answering a ServiceFence sync', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    await ready(`${base}/readyz`, lazyload(['serve'], { PORT: String(port), HOST: '127.0.0.1' }));
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(`lazyload_build_info{version="${version}"} 1`);
    const res = await fetch(`${base}/servicefence/sync`, { method: 'POST', body: JSON.stringify(fenceSyncRequest({ name: 'reviews' })) });
    const answer = (await res.json()) as { children: { kind: string }[] };
    expect(res.status).toBe(200);
    expect(answer.children.map((c) => c.kind)).toContain('Sidecar');
  });

  it('runs `lazyload forwarder`: ready once it listens on the wormhole port of its ports file', async () => {
    const wormhole = await freePort();
    let probe = await freePort();
    while (probe === wormhole) probe = await freePort();
    const portsFile = path.join(work, 'wormhole-ports');
    writeFileSync(portsFile, `wormholePorts:\n- ${wormhole}\n`);
    const started = lazyload(['forwarder'], { WORMHOLE_PORTS_FILE: portsFile, PROBE_PORT: String(probe), HOST: '127.0.0.1' });
    await ready(`http://127.0.0.1:${probe}/healthz/ready`, started);
    expect(await (await fetch(`http://127.0.0.1:${probe}/metrics`)).text()).toContain(`lazyload_forwarder_listening_ports 1`);
  });
});
