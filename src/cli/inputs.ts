// What `render -f` reads, as kubectl's -f does: a file, - for stdin, or a directory's manifests
// (its .yaml, .yml and .json files, by name, not descending into subdirectories).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface Inputs {
  /** Named as given (a directory's files as `dir/file`), stdin as <stdin>. */
  files: { name: string; text: string }[];
  /** One line per path that gave nothing to read. */
  errors: string[];
}

const isFile = (p: string): boolean => {
  try {
    // statSync follows links: a mounted ConfigMap's files are links into a hidden directory.
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The manifests of a directory, sorted by name; undefined when `path` is not a directory. */
function manifestsIn(path: string): string[] | undefined {
  try {
    if (!statSync(path).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return readdirSync(path)
    .filter((entry) => MANIFEST_EXTENSIONS.includes(extname(entry)))
    .sort()
    .map((entry) => join(path, entry))
    .filter(isFile);
}

export function readInputs(paths: string[]): Inputs {
  const out: Inputs = { files: [], errors: [] };
  const read = (path: string) => {
    const name = path === '-' ? '<stdin>' : path;
    try {
      out.files.push({ name, text: readFileSync(path === '-' ? 0 : path, 'utf8') });
    } catch (e) {
      out.errors.push(`${name}: cannot read: ${(e as Error).message}`);
    }
  };
  for (const path of paths) {
    const inDirectory = path === '-' ? undefined : manifestsIn(path);
    if (inDirectory === undefined) read(path);
    else if (inDirectory.length === 0) out.errors.push(`${path}: no ${MANIFEST_EXTENSIONS.join(', ')} file in this directory`);
    else inDirectory.forEach(read);
  }
  return out;
}
