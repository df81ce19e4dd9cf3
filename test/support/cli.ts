// `lazyload` run as a user runs it, from the TypeScript sources: a child process with its streams and
// exit code, in the repository root (so relative paths such as examples/ resolve).
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { loadAll } from 'js-yaml';
import { type Obj, repoRoot } from './schemas.js';

/** The node arguments that start `lazyload` from the sources. */
const FROM_SOURCES = ['--import', 'tsx', 'src/cli/cli.ts'];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `lazyload ...args` run to its end. */
export function runLazyload(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, ...args], { cwd: repoRoot, encoding: 'utf8', ...options });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `lazyload ...args` left running; the caller stops it. */
export const spawnLazyload = (args: string[], options: SpawnOptions = {}) => spawn(process.execPath, [...FROM_SOURCES, ...args], { cwd: repoRoot, ...options });

/** The objects of `lazyload render`'s multi-document output. */
export const objectsOf = (stdout: string): Obj[] => loadAll(stdout) as Obj[];

/** `Kind namespace/name` of each object, in output order. */
export const kindsOf = (stdout: string): string[] => objectsOf(stdout).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
