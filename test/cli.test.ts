// `lazyload` as a user runs it: the real command in a child process, its streams, exit codes and
// the addresses its servers answer on.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANY_IPV4, ANY_IPV6, listenHost } from '../src/host.js';
import { createLogger, parseLevel } from '../src/log.js';
import { runLazyload, spawnLazyload } from './support/cli.js';
import { repoRoot } from './support/schemas.js';
import { type Closers, fileClosers, freePort, refused, send, startUpstream, waitFor, writePortsFile } from './support/forwarder.js';

const { perTest } = fileClosers();

/** The environment of a user who set nothing: none of the test runner's settings leak in. */
function envWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['HOST', 'PORT', 'PROBE_PORT', 'LOG_LEVEL', 'PROMETHEUS_URL', 'WORMHOLE_PORTS_FILE']) delete env[name];
  return { ...env, ...vars };
}

/** `lazyload ...args` run to its end. */
const lazyload = (args: string[], vars: Record<string, string> = {}) => runLazyload(args, { env: envWith(vars), timeout: 20_000 });

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

interface Daemon {
  child: ChildProcess;
  /** Every line written on stdout so far, parsed. */
  logs(): Record<string, unknown>[];
}

/** `lazyload serve` or `lazyload forwarder` left running until the test ends; resolves once it logged `ready`. */
async function daemon(closers: Closers, args: string[], vars: Record<string, string>, ready: string): Promise<Daemon> {
  const child = spawnLazyload(args, { env: envWith(vars), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  closers.add(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const d = { child, logs: () => jsonLines(stdout.slice(0, stdout.lastIndexOf('\n') + 1)) };
  await waitFor(`lazyload ${args[0]} to log "${ready}"`, async () => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stdout}${stderr}`);
    return d.logs().some((l) => l.msg === ready) ? true : undefined;
  });
  return d;
}

const status = async (url: string) => (await fetch(url)).status;

describe('LOG_LEVEL', () => {
  it('is read in any case', () => {
    expect(['DEBUG', 'Info', 'wArN', 'error', ' info '].map(parseLevel)).toEqual(['debug', 'info', 'warn', 'error', 'info']);
  });

  it('means info when unset or blank', () => {
    expect([undefined, '', '  '].map(parseLevel)).toEqual(['info', 'info', 'info']);
  });

  it('gives the server the level asked for in capitals', async () => {
    const port = await freePort();
    const s = await daemon(perTest, ['serve'], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'DEBUG' }, 'listening');
    await fetch(`http://127.0.0.1:${port}/servicefence/sync`, { method: 'POST', body: 'not json' });
    await waitFor('a debug line', async () => (s.logs().some((l) => l.level === 'debug' && l.msg === 'hook answered') ? true : undefined), 5_000);
  });

  it('stops the start with an unknown level, logging one JSON error line that names the levels', () => {
    const r = lazyload(['serve'], { LOG_LEVEL: 'verbose' });
    expect(r.code).toBe(1);
    const logs = jsonLines(r.stdout);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'error', msg: 'cannot start', command: 'serve' });
    expect(logs[0].error).toBe('LOG_LEVEL "verbose" is not a level; use one of debug, info, warn, error (in any case)');
  });

  it('stops the forwarder too', () => {
    const r = lazyload(['forwarder'], { LOG_LEVEL: 'trace' });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout)).toMatchObject([{ level: 'error', msg: 'cannot start', command: 'forwarder' }]);
  });
});

describe('a failure to start', () => {
  it('is logged as a JSON error line when the port is in use, exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    perTest.add(() => new Promise((r) => taken.close(r)));
    const port = (taken.address() as { port: number }).port;
    const r = lazyload(['serve'], { PORT: String(port), HOST: '127.0.0.1' });
    expect(r.code).toBe(1);
    const error = jsonLines(r.stdout).find((l) => l.level === 'error');
    expect(error).toMatchObject({ msg: 'cannot start', command: 'serve' });
    expect(error?.error).toContain('EADDRINUSE');
  });

  it('is logged as a JSON error line for a bad setting, exit 1', () => {
    const r = lazyload(['forwarder'], { PROBE_PORT: 'eighty' });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout)).toContainEqual(expect.objectContaining({ level: 'error', msg: 'cannot start', error: 'PROBE_PORT must be a positive whole number, got "eighty"' }));
  });
});

describe('listening', () => {
  it('answers on IPv4 and IPv6 loopback by default (lazyload serve)', async () => {
    const port = await freePort();
    await daemon(perTest, ['serve'], { PORT: String(port) }, 'listening');
    expect(await status(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    expect(await status(`http://[::1]:${port}/healthz`)).toBe(200);
  });

  it('answers only on the address HOST names (lazyload serve)', async () => {
    const port = await freePort();
    await daemon(perTest, ['serve'], { PORT: String(port), HOST: '127.0.0.1' }, 'listening');
    expect(await status(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    expect(await refused(port, '::1')).toBe(true);
  });

  const forwarder = async (vars: Record<string, string> = {}) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lazyload-cli-'));
    perTest.add(() => rmSync(dir, { recursive: true, force: true }));
    const wormhole = await freePort();
    const probePort = await freePort();
    writePortsFile(path.join(dir, 'cfg'), [wormhole]);
    await daemon(perTest, ['forwarder'], { WORMHOLE_PORTS_FILE: path.join(dir, 'cfg'), PROBE_PORT: String(probePort), ...vars }, 'probe listening');
    return { wormhole, probePort };
  };

  it('answers on IPv4 and IPv6 loopback by default, probe and wormhole ports alike (lazyload forwarder)', async () => {
    const { wormhole, probePort } = await forwarder();
    const upstream = await startUpstream(perTest);
    for (const host of ['127.0.0.1', '::1']) {
      expect(await status(`http://${host.includes(':') ? `[${host}]` : host}:${probePort}/healthz/ready`)).toBe(200);
      expect((await send(wormhole, { host, headers: [['Host', 'reviews'], ['Slime-Orig-Dest', upstream.address]] })).status).toBe(200);
    }
  });

  it('answers only on the address HOST names, probe and wormhole ports alike (lazyload forwarder)', async () => {
    const { wormhole, probePort } = await forwarder({ HOST: '127.0.0.1' });
    expect(await status(`http://127.0.0.1:${probePort}/healthz/ready`)).toBe(200);
    expect(await refused(probePort, '::1')).toBe(true);
    expect(await refused(wormhole, '::1')).toBe(true);
  });

  it('falls back to IPv4 on a kernel without IPv6, and says so', async () => {
    const lines: string[] = [];
    const host = await listenHost(undefined, createLogger('info', (l) => lines.push(l)), async () => 'EAFNOSUPPORT');
    expect(host).toBe(ANY_IPV4);
    expect(jsonLines(lines.join('\n'))).toMatchObject([{ level: 'warn', msg: 'IPv6 is not available here: listening on IPv4 only', error: 'EAFNOSUPPORT' }]);
  });

  it('listens on every IPv6 and IPv4 address where the kernel has IPv6', async () => {
    expect(await listenHost(undefined, createLogger('info', () => {}))).toBe(ANY_IPV6);
  });
});

describe('usage', () => {
  it('goes to stderr with exit 2 when no command is given', () => {
    const r = lazyload([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: lazyload <command>/);
  });

  it('goes to stdout with exit 0 when asked for with --help, -h or help', () => {
    for (const ask of ['--help', '-h', 'help']) {
      const r = lazyload([ask]);
      expect({ ask, code: r.code, stderr: r.stderr }).toEqual({ ask, code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^Usage: lazyload <command>/);
    }
  });

  it("prints a command's own help for help COMMAND", () => {
    const r = lazyload(['help', 'forwarder']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: lazyload forwarder\n/);
  });

  it('names an unknown command and prints usage on stderr, exit 2', () => {
    const r = lazyload(['sevre']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^lazyload: unknown command "sevre"\n\nUsage: lazyload <command>/);
  });

  it('takes a name every object has (toString) for an unknown command too', () => {
    const r = lazyload(['toString']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lazyload: unknown command "toString"/);
  });

  it('names an unknown option before the command and prints usage on stderr, exit 2', () => {
    const r = lazyload(['--verbose', 'serve']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^lazyload: unknown option "--verbose"\n\nUsage: lazyload <command>/);
  });
});

describe('serve and forwarder arguments', () => {
  it('refuses a stray argument to serve, naming it, with usage on stderr and without starting, exit 2', () => {
    const r = lazyload(['serve', '8080'], { PORT: '1' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'lazyload serve: unexpected argument "8080": serve takes no arguments; it is set up by environment variables\n\nUsage: lazyload serve\nRun `lazyload serve --help` for more.\n',
    );
  });

  it('refuses a stray argument to forwarder the same way', () => {
    const r = lazyload(['forwarder', 'cfg']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^lazyload forwarder: unexpected argument "cfg": forwarder takes no arguments.*\n\nUsage: lazyload forwarder\n/s);
  });

  it('refuses an unknown option to serve, naming it, with usage on stderr, exit 2', () => {
    const r = lazyload(['serve', '--port=8080']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("lazyload serve: Unknown option '--port'\n\nUsage: lazyload serve\nRun `lazyload serve --help` for more.\n");
  });

  it('refuses an unknown option to forwarder the same way', () => {
    const r = lazyload(['forwarder', '-p', '80']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lazyload forwarder: Unknown option '-p'\n\nUsage: lazyload forwarder\n/);
  });
});

describe('npm run bench', () => {
  const bench = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('prints its usage, naming every benchmark, for --help, exit 0', () => {
    const r = bench(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: npm run bench \[-- BENCHMARK\]\n/);
    for (const name of ['sync', 'prometheus', 'forwarder']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('names an unknown benchmark and prints usage, not a stack trace, exit 2', () => {
    const r = bench(['snyc']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^bench: unknown benchmark "snyc"\n\nUsage: npm run bench/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
