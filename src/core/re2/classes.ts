// Character classes as RE2 sees them: sorted rune ranges, with RE2's case folding and its named groups
// (Perl, POSIX, Unicode): the exact ranges a class compiles from (utf8.ts).
// Unicode tables come from the JavaScript engine (its Unicode version may differ from the RE2 that
// Envoy was built with; program-size.ts allows for that).

export const MAX_RUNE = 0x10ffff;

/** Sorted, disjoint, non-adjacent inclusive ranges. */
export type Ranges = ReadonlyArray<readonly [number, number]>;

export function normalize(ranges: Iterable<readonly [number, number]>): Ranges {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export const union = (...sets: Ranges[]): Ranges => normalize(sets.flat());

export function negate(ranges: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of ranges) {
    if (next < lo) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

export const runeCount = (ranges: Ranges): number => ranges.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);

// RE2's Perl and POSIX classes are ASCII only.
const PERL: Record<string, Ranges> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
};
const POSIX: Record<string, Ranges> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

/** `\d`, `\s`, `\w` (lower case letter only; the caller negates `\D`…). */
export const perlClass = (letter: string): Ranges | undefined => PERL[letter];
/** `[:alpha:]` without the brackets and colons, e.g. `alpha`. */
export const posixClass = (name: string): Ranges | undefined => POSIX[name];

// The general categories RE2 knows (no Cn: RE2's C is only what UnicodeData lists).
const CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

// Every code point once, in order, lone surrogates left out (they would pair up): a JavaScript regex
// run over it yields a class's ranges as runs of consecutive matches.
let everyRune: string | undefined;
function everyRuneText(): string {
  if (everyRune === undefined) {
    const parts: string[] = [];
    for (let start = 0; start <= MAX_RUNE; start += 0x1000) {
      const chunk: number[] = [];
      for (let c = start; c < start + 0x1000 && c <= MAX_RUNE; c++) if (c < 0xd800 || c > 0xdfff) chunk.push(c);
      parts.push(String.fromCodePoint(...chunk));
    }
    everyRune = parts.join('');
  }
  return everyRune;
}
const runeAt = (index: number): number => (index < 0xd800 ? index : index < 0xf800 ? index + 0x800 : 0x10000 + (index - 0xf800) / 2);

/** The ranges of a JavaScript `u`-mode class body (e.g. `\p{L}`), surrogates included. */
function rangesOf(classBody: string): Ranges {
  const out: [number, number][] = [];
  for (const m of everyRuneText().matchAll(new RegExp(`[${classBody}]+`, 'gu'))) {
    const first = runeAt(m.index);
    out.push([first, first + [...m[0]].length - 1]);
  }
  const single = new RegExp(`^[${classBody}]$`, 'u');
  for (let c = 0xd800; c <= 0xdfff; c++) if (single.test(String.fromCharCode(c))) out.push([c, c]);
  return normalize(out);
}

const groups = new Map<string, Ranges | undefined>();

/**
 * A Unicode group as RE2 names it in `\p{…}`: `Any`, a general category (`L`, `Lu`…) or a script
 * (`Greek`). Undefined when the JavaScript engine does not know the name.
 */
export function unicodeGroup(name: string): Ranges | undefined {
  if (name === 'Any') return [[0, MAX_RUNE]];
  if (!groups.has(name)) {
    let body: string | undefined;
    if (name === 'C') body = '\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}';
    else if (CATEGORIES.has(name)) body = `\\p{gc=${name}}`;
    else if (/^[A-Z][A-Za-z_]*$/.test(name)) body = `\\p{Script=${name}}`;
    let ranges: Ranges | undefined;
    try {
      ranges = body === undefined ? undefined : rangesOf(body);
    } catch {
      ranges = undefined; // a name this engine's tables do not have
    }
    groups.set(name, ranges);
  }
  return groups.get(name);
}

/** Whether a `\p{…}` name is one RE2 never accepts though JavaScript does (the re2 package rewrites these). */
export const isJavaScriptOnlyGroupName = (name: string): boolean =>
  name.includes('=') || (name.length > 2 && name !== 'Any' && !CATEGORIES.has(name) && isJsCategory(name));

function isJsCategory(name: string): boolean {
  try {
    new RegExp(`\\p{gc=${name}}`, 'u');
    return true;
  } catch {
    return false;
  }
}

// Runes whose case folding orbit has more than one member (only they can add runes when folding).
let cased: number[] | undefined;
function casedRunes(): number[] {
  cased ??= rangesOf('\\p{Changes_When_Casemapped}\\p{Changes_When_Casefolded}').flatMap(([lo, hi]) =>
    Array.from({ length: hi - lo + 1 }, (_, i) => lo + i),
  );
  return cased;
}

const jsClassBody = (ranges: Ranges): string => ranges.map(([lo, hi]) => `\\u{${lo.toString(16)}}-\\u{${hi.toString(16)}}`).join('');

/**
 * The ranges plus every rune that case-folds to one of them, as RE2 builds a class under `(?i)`.
 * ASCII has two orbits beyond a letter pair: k with U+212A (Kelvin) and s with U+017F (long s).
 */
export function foldCase(ranges: Ranges): Ranges {
  if (ranges.length === 0) return ranges;
  if (ranges[ranges.length - 1][1] < 0x80) {
    const extra: [number, number][] = [];
    for (const [lo, hi] of ranges) {
      const clip = (a: number, b: number) => [Math.max(lo, a), Math.min(hi, b)] as const;
      const [ul, uh] = clip(0x41, 0x5a);
      if (ul <= uh) extra.push([ul + 0x20, uh + 0x20]);
      const [ll, lh] = clip(0x61, 0x7a);
      if (ll <= lh) extra.push([ll - 0x20, lh - 0x20]);
    }
    const withPairs = union(ranges, extra);
    const has = (c: number) => withPairs.some(([lo, hi]) => lo <= c && c <= hi);
    return union(withPairs, has(0x6b) ? [[0x212a, 0x212a]] : [], has(0x73) ? [[0x17f, 0x17f]] : []);
  }
  // JavaScript's `iu` matching compares simple case foldings, the same orbits RE2 folds with.
  const folds = new RegExp(`^[${jsClassBody(ranges)}]$`, 'iu');
  return union(
    ranges,
    casedRunes()
      .filter((c) => folds.test(String.fromCodePoint(c)))
      .map((c) => [c, c] as const),
  );
}
