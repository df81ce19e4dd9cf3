// How many instructions RE2's ProgramSize() reports for a pattern, which Envoy compares with the runtime
// value re2.max_program_size.error_level before it accepts a safe_regex (docs/routing.md). RE2 is C++
// and the re2 npm package does not expose ProgramSize(), so this module replays what RE2 does, step by
// step: parse, shaping alternations as RE2's parser does (syntax.ts, factor.ts); the rewrites before
// compiling (simplify.ts); the instruction graph (compile.ts, utf8.ts); what Flatten() keeps of it
// (flatten.ts). Where no Unicode table is involved the count is RE2's exactly. Classes built from
// Unicode tables (`\pL`, case folding beyond ASCII) use the JavaScript engine's tables, whose Unicode
// version differs from RE2's, so they get a margin that keeps the answer above RE2's.
// test/re2-program-size.test.ts holds it against RE2's own numbers (test/re2/*.json).

import { compileProgram } from './compile.js';
import { flattenedProgramSize } from './flatten.js';
import { MAX_INSTRUCTIONS, TooLarge } from './program.js';
import { prepare } from './simplify.js';
import { parseRe2 } from './syntax.js';
import { Re2SyntaxError, Re2UnknownError } from './tree.js';

/**
 * The largest RE2 program Istio's proxy accepts in a safe_regex. Envoy refuses a regex whose
 * ProgramSize() is over the runtime value re2.max_program_size.error_level (100 when unset,
 * source/common/common/regex.cc). Istio's pilot-agent writes 32768 into the bootstrap's runtime layer
 * (pkg/bootstrap/config.go, extractRuntimeFlags), since istio/istio#36143 (merged November 2021, so
 * Istio 1.13; 1024 before). A mesh can change it through ProxyConfig.runtimeValues.
 */
export const ISTIO_MAX_PROGRAM_SIZE = 32768;

export type ProgramSizeBound =
  /**
   * RE2's ProgramSize() for the pattern is at most `size`. `margin` of it is the allowance for Unicode
   * tables; without one (0), `size` is RE2's count exactly.
   */
  | { ok: true; size: number; margin: number }
  /** `refused`: RE2 refuses the pattern; otherwise it may accept it, but lazyload cannot size it. */
  | { ok: false; refused: boolean; message: string };

/** Allowance for a class whose runes came from Unicode tables: a fraction of its instructions, plus a constant. */
const TABLE_MARGIN = { fraction: 0.1, constant: 16 };

// Configs are read on every hook call, with the same patterns: remember the last answers.
const remembered = new Map<string, ProgramSizeBound>();

/** An upper bound on `RE2(pattern, RE2::Quiet).ProgramSize()`, as Envoy computes it for a safe_regex. */
export function programSizeBound(pattern: string): ProgramSizeBound {
  let bound = remembered.get(pattern);
  if (!bound) {
    bound = computeBound(pattern);
    if (remembered.size >= 256) remembered.delete(remembered.keys().next().value as string);
    remembered.set(pattern, bound);
  }
  return bound;
}

function computeBound(pattern: string): ProgramSizeBound {
  try {
    const { node, anchoredStart } = prepare(parseRe2(pattern));
    const { p, start, startUnanchored, tableInstructions } = compileProgram(node, anchoredStart);
    const size = flattenedProgramSize(p, start, startUnanchored);
    const margin = tableInstructions === 0 ? 0 : Math.ceil(tableInstructions * TABLE_MARGIN.fraction) + TABLE_MARGIN.constant;
    return { ok: true, size: size + margin, margin };
  } catch (e) {
    if (e instanceof Re2SyntaxError) return { ok: false, refused: true, message: e.message };
    if (e instanceof Re2UnknownError) return { ok: false, refused: false, message: `lazyload cannot size ${e.message}` };
    if (e instanceof TooLarge) return { ok: false, refused: false, message: `it needs more than ${MAX_INSTRUCTIONS} instructions before RE2 simplifies it` };
    // Groups nested thousands deep overflow the stack here (RE2 itself has no limit); a bug must not
    // fail the hook either: answer carefully.
    if (e instanceof RangeError) return { ok: false, refused: false, message: 'it nests too deeply for lazyload to size' };
    return { ok: false, refused: false, message: `lazyload could not size it (${(e as Error).message})` };
  }
}
