// Runs the program-size tool (argv[2]) over the corpora and writes test/re2/*.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import handWritten from './patterns.mjs';
import generate from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const tool = process.argv[2];
const pkg = process.env.RE2_PACKAGE ?? join(root, 'node_modules/re2');
const re2Version = /version = "([^"]+)"/.exec(readFileSync(join(pkg, 'vendor/re2/MODULE.bazel'), 'utf8'))[1];
const packageVersion = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;

function record(patterns, file, about) {
  for (const p of patterns) if (p.includes('\n')) throw new Error(`a pattern with a newline: ${JSON.stringify(p)}`);
  const out = execFileSync(tool, { input: patterns.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n');
  const sizes = {};
  patterns.forEach((p, i) => {
    sizes[p] = /^\d+$/.test(out[i]) ? Number(out[i]) : out[i];
  });
  const data = {
    about,
    re2: `RE2 ${re2Version}, as vendored by the npm package re2 ${packageVersion}`,
    madeBy: 'scripts/re2-program-sizes/run.sh: RE2(pattern, RE2::Quiet).ProgramSize(), as Envoy sizes a safe_regex; "error …" where RE2 refuses the pattern',
    sizes,
  };
  mkdirSync(join(root, 'test/re2'), { recursive: true });
  writeFileSync(join(root, 'test/re2', file), JSON.stringify(data, null, 1) + '\n');
  console.log(`test/re2/${file}: ${patterns.length} patterns`);
}

record(handWritten, 'program-sizes.json', 'Hand-written patterns (scripts/re2-program-sizes/patterns.mjs): host patterns, anchors, classes, Unicode, case folding, repetition.');
record(generate(), 'generated-program-sizes.json', 'Random patterns (scripts/re2-program-sizes/generate.mjs, fast-check with a fixed seed).');
