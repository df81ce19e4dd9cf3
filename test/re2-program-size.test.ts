// The RE2 program size lazyload computes for a domainRegex (src/core/re2/), held against RE2's own
// ProgramSize() for the same patterns: test/re2/*.json, recorded by scripts/re2-program-sizes/run.sh
// from the RE2 sources the re2 package vendors. Envoy refuses a route configuration with a regex over
// its limit, so the one thing that must never happen is an answer below RE2's.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { ISTIO_MAX_PROGRAM_SIZE, programSizeBound } from '../src/core/re2/program-size.js';

interface Recorded {
  re2: string;
  sizes: Record<string, number | string>;
}
const recorded = (file: string): Recorded => JSON.parse(readFileSync(new URL(`./re2/${file}`, import.meta.url), 'utf8')) as Recorded;
const corpora = { 'the hand-written patterns': recorded('program-sizes.json'), 'the generated patterns': recorded('generated-program-sizes.json') };

/** Each pattern RE2 accepts, with RE2's size and ours. */
function sized(corpus: Recorded) {
  return Object.entries(corpus.sizes)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([pattern, real]) => ({ pattern, real, bound: programSizeBound(pattern) }));
}

describe.each(Object.entries(corpora))('RE2 program sizes of %s', (_, corpus) => {
  it('are read from RE2 itself, with the version recorded', () => {
    expect(corpus.re2).toMatch(/^RE2 \d{4}-\d{2}-\d{2}, as vendored by the npm package re2 /);
    expect(Object.keys(corpus.sizes).length).toBeGreaterThan(100);
  });

  it('are never above ours', () => {
    const below = sized(corpus).filter(({ real, bound }) => !bound.ok || bound.size < real);
    expect(below).toEqual([]);
  });

  it("are ours exactly when no Unicode table is involved", () => {
    const exact = sized(corpus).filter(({ bound }) => bound.ok && bound.margin === 0);
    expect(exact.length).toBeGreaterThan(100);
    expect(exact.filter(({ real, bound }) => bound.ok && bound.size !== real)).toEqual([]);
  });

  it('are at most 25% and 32 instructions below ours where Unicode tables are involved', () => {
    const tables = sized(corpus).filter(({ bound }) => bound.ok && bound.margin > 0);
    expect(tables.length).toBeGreaterThan(10);
    expect(tables.filter(({ real, bound }) => bound.ok && bound.size > real * 1.25 + 32)).toEqual([]);
  });

  it('refuse what RE2 refuses', () => {
    const refusedByRe2 = Object.entries(corpus.sizes).filter(([, real]) => typeof real === 'string');
    const notRefused = refusedByRe2.filter(([pattern]) => {
      const bound = programSizeBound(pattern);
      return bound.ok || !bound.refused;
    });
    expect(notRefused).toEqual([]);
  });
});

describe('programSizeBound', () => {
  it('refuses JavaScript syntax the re2 package rewrites but RE2 itself refuses', () => {
    for (const pattern of ['\\u0041', '\\cA', '\\p{Letter}', '\\p{Script=Greek}']) {
      expect(() => new RE2(pattern, 'u')).not.toThrow();
      expect(programSizeBound(pattern)).toMatchObject({ ok: false, refused: true });
    }
  });

  it('puts a repeated Unicode class over the limit of Istio\'s proxy, where RE2 puts it', () => {
    const idnLabel = '^[\\pL\\pN-]{1,63}\\.example\\.com$';
    expect(corpora['the hand-written patterns'].sizes[idnLabel]).toBeGreaterThan(ISTIO_MAX_PROGRAM_SIZE);
    expect(programSizeBound(idnLabel)).toMatchObject({ ok: true });
    expect((programSizeBound(idnLabel) as { size: number }).size).toBeGreaterThan(ISTIO_MAX_PROGRAM_SIZE);
  });

  it('accepts what the re2 package accepts, and refuses what it refuses, where both read the syntax alike', () => {
    const piece = fc.constantFrom(
      'a', 'é', 'x', '{', '}', ',', '2', '(', ')', '(?:', '(?i)', '(?i-s:', '(?-)', '(?P<n>', '[', ']', '^', '-', '|',
      '*', '+', '?', '{2}', '{1,3}', '{2,1}', '.', '\\', '\\pL', '\\p{Zs}', '\\d', '$', '[[:alpha:]]', '[[:foo:]]',
      '\\Q', '\\E', '\\x{41}', '\\0', '\\8', '\\b', '\\z', '\\C', '**', '[^', '\\.',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        const pattern = pieces.join('');
        const compiles = (() => {
          try {
            new RE2(pattern, 'u');
            return true;
          } catch {
            return false;
          }
        })();
        expect(programSizeBound(pattern).ok).toBe(compiles);
      }),
      { numRuns: 500 },
    );
  });
});
