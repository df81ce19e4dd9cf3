// RE2's regular expression syntax (github.com/google/re2/wiki/Syntax, parsed with RE2's default
// options, which Envoy's RE2::Quiet keeps) into the tree program-size.ts sizes (tree.ts), built as
// RE2's parser builds its own: flat concatenations and alternations, alternations factored (factor.ts),
// x** taken as x*, a one-rune class taken as a literal. A pattern RE2 refuses throws Re2SyntaxError.

import {
  MAX_RUNE,
  type Ranges,
  foldCase,
  isJavaScriptOnlyGroupName,
  negate,
  perlClass,
  posixClass,
  runeCount,
  union,
  unicodeGroup,
} from './classes.js';
import { factorAlternation, pushAlternative } from './factor.js';
import { DOT_NL, type EmptyWidth, FOLD_CASE, MULTI_LINE, NON_GREEDY, type Re2Node, Re2SyntaxError, Re2UnknownError, repetition } from './tree.js';

const MAX_REPEAT = 1000;
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isWordRune = (r: number) => /^[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]$/u.test(String.fromCodePoint(r));

/** A class as the parser pushes it: one rune becomes a literal, `[Aa]` a case-folded literal. */
function classNode(ranges: Ranges, tables: boolean, flags: number): Re2Node {
  const n = runeCount(ranges);
  if (n === 1) return { op: 'literal', rune: ranges[0][0], fold: (flags & FOLD_CASE) !== 0 };
  if (n === 2) {
    const r = ranges[0][0];
    if (r >= 0x41 && r <= 0x5a && ranges.some(([lo, hi]) => lo <= r + 0x20 && r + 0x20 <= hi)) {
      return { op: 'literal', rune: r + 0x20, fold: true };
    }
  }
  return { op: 'class', ranges, tables };
}

class Parser {
  private readonly t: string[];
  private i = 0;

  constructor(pattern: string) {
    // Envoy hands RE2 UTF-8; a lone surrogate cannot be in it, so it stands for U+FFFD.
    this.t = [...pattern].map((c) => (/^[\ud800-\udfff]$/.test(c) ? '\ufffd' : c));
  }

  private peek(k = 0): string | undefined {
    return this.t[this.i + k];
  }
  /** The next n runes as text, for matching short constructs with a regex. */
  private ahead(n: number): string {
    return this.t.slice(this.i, this.i + n).join('');
  }

  parse(): Re2Node {
    const node = this.alternation({ flags: 0 }, false);
    if (this.i < this.t.length) throw new Re2SyntaxError('unexpected )');
    return node;
  }

  // Flags set by `(?i)` last until the group closes, across `|` too.
  private alternation(state: { flags: number }, inGroup: boolean): Re2Node {
    const alternatives: Re2Node[] = [];
    pushAlternative(alternatives, this.concatenation(state));
    while (this.peek() === '|') {
      this.i++;
      pushAlternative(alternatives, this.concatenation(state));
    }
    if (inGroup) {
      if (this.peek() !== ')') throw new Re2SyntaxError('missing )');
      this.i++;
    }
    return collapse('alternate', alternatives);
  }

  private concatenation(state: { flags: number }): Re2Node {
    const items: Re2Node[] = [];
    let lastWasRepeat = false;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '*' || c === '+' || c === '?' || (c === '{' && this.repetition() !== undefined)) {
        if (lastWasRepeat) throw new Re2SyntaxError('bad repetition operator');
        if (items.length === 0) throw new Re2SyntaxError('missing argument to repetition operator');
        items.push(this.repeat(items.pop() as Re2Node, state.flags));
        lastWasRepeat = true;
        continue;
      }
      lastWasRepeat = false;
      items.push(...this.atom(state));
    }
    return collapse('concat', items);
  }

  /** `{n}`, `{n,}`, `{n,m}` at the cursor, without moving; undefined where `{` is a literal. */
  private repetition(): { min: number; max: number; length: number } | undefined {
    const m = /^\{(0|[1-9][0-9]{0,7})(?:(,)(0|[1-9][0-9]{0,7})?)?\}/.exec(this.ahead(20));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === undefined ? -1 : Number(m[3]);
    return { min, max, length: m[0].length };
  }

  private repeat(sub: Re2Node, flags: number): Re2Node {
    const c = this.peek() as string;
    const counted = c === '{' ? this.repetition() : undefined;
    this.i += counted ? counted.length : 1;
    if (this.peek() === '?') {
      this.i++;
      flags ^= NON_GREEDY;
    }
    if (!counted) return repetition(c === '*' ? 'star' : c === '+' ? 'plus' : 'quest', sub, flags);
    const { min, max } = counted;
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min)) throw new Re2SyntaxError('bad repetition operator');
    const node: Re2Node = { op: 'repeat', min, max, sub, flags };
    if (nestedRepeatCount(node) > MAX_REPEAT) throw new Re2SyntaxError('bad repetition operator');
    return node;
  }

  private atom(state: { flags: number }): Re2Node[] {
    const c = this.t[this.i++];
    const flags = state.flags;
    switch (c) {
      case '(':
        return this.group(state);
      case '^':
        return [{ op: flags & MULTI_LINE ? 'beginLine' : 'beginText' }];
      case '$':
        return [flags & MULTI_LINE ? { op: 'endLine' } : { op: 'endText', dollar: true }];
      case '.':
        return [flags & DOT_NL ? { op: 'anyChar' } : { op: 'class', ranges: negate([[0x0a, 0x0a]]), tables: false }];
      case '[':
        return [this.bracketClass(flags)];
      case '\\':
        return this.escape(flags);
      default:
        return [literal(c.codePointAt(0) as number, flags)];
    }
  }

  private group(state: { flags: number }): Re2Node[] {
    if (this.peek() !== '?') return [{ op: 'capture', sub: this.alternation({ flags: state.flags }, true) }];
    const name = /^\?P?<([^>]*)>/.exec(this.ahead(1024));
    if (name) {
      if (!name[1] || ![...name[1]].every((ch) => isWordRune(ch.codePointAt(0) as number))) {
        throw new Re2SyntaxError('invalid named capture group');
      }
      this.i += [...name[0]].length;
      return [{ op: 'capture', sub: this.alternation({ flags: state.flags }, true) }];
    }
    this.i++; // ?
    let flags = state.flags;
    let negated = false;
    let sawFlag = false;
    for (;;) {
      const f = this.t[this.i++];
      const bit = f === 'i' ? FOLD_CASE : f === 's' ? DOT_NL : f === 'm' ? MULTI_LINE : f === 'U' ? NON_GREEDY : 0;
      if (bit) {
        flags = negated ? flags & ~bit : flags | bit;
        sawFlag = true;
      } else if (f === '-' && !negated) {
        negated = true;
        sawFlag = false;
      } else if ((f === ':' || f === ')') && !(negated && !sawFlag)) {
        if (f === ')') {
          state.flags = flags;
          return [];
        }
        return [this.alternation({ flags }, true)];
      } else {
        throw new Re2SyntaxError('invalid or unsupported Perl syntax');
      }
    }
  }

  private escape(flags: number): Re2Node[] {
    const c = this.peek();
    if (c === undefined) throw new Re2SyntaxError('trailing \\');
    const simple: Record<string, EmptyWidth> = { b: 'wordBoundary', B: 'noWordBoundary', A: 'beginText', z: 'endText' };
    if (simple[c]) {
      this.i++;
      return [{ op: simple[c] }];
    }
    if (c === 'C') {
      this.i++;
      return [{ op: 'anyByte' }];
    }
    if (c === 'Q') {
      this.i++;
      const out: Re2Node[] = [];
      while (this.i < this.t.length && !(this.peek() === '\\' && this.peek(1) === 'E')) {
        out.push(literal(this.t[this.i++].codePointAt(0) as number, flags));
      }
      if (this.i < this.t.length) this.i += 2;
      return out;
    }
    const set = this.classEscape(flags);
    if (set) return [classNode(set.ranges, set.tables, flags)];
    return [literal(this.runeEscape(), flags)];
  }

  /** `\d`, `\pL`, `\P{Greek}`… at the cursor (after the backslash): the folded ranges, or undefined. */
  private classEscape(flags: number): { ranges: Ranges; tables: boolean } | undefined {
    const c = this.peek();
    const fold = (r: Ranges) => (flags & FOLD_CASE ? foldCase(r) : r);
    const perl = c === undefined ? undefined : perlClass(c.toLowerCase());
    if (perl) {
      this.i++;
      return { ranges: c === c?.toUpperCase() ? negate(fold(perl)) : fold(perl), tables: false };
    }
    if (c !== 'p' && c !== 'P') return undefined;
    this.i++;
    let name: string;
    if (this.peek() === '{') {
      const end = this.t.indexOf('}', this.i);
      if (end < 0) throw new Re2SyntaxError('invalid character class range');
      name = this.t.slice(this.i + 1, end).join('');
      this.i = end + 1;
    } else {
      name = this.t[this.i++] ?? '';
    }
    let negated = c === 'P';
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    if (name === '') throw new Re2SyntaxError('invalid character class range');
    if (isJavaScriptOnlyGroupName(name)) throw new Re2SyntaxError(`invalid character class range: \\p{${name}} (RE2 knows only short category names and script names)`);
    const group = unicodeGroup(name);
    if (!group) throw new Re2UnknownError(`the Unicode class \\p{${name}}`);
    const folded = fold(group);
    return { ranges: negated ? negate(folded) : folded, tables: name !== 'Any' };
  }

  /** An escaped single rune at the cursor (after the backslash). */
  private runeEscape(): number {
    const c = this.t[this.i++];
    const named: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, a: 0x07, f: 0x0c, v: 0x0b };
    if (named[c] !== undefined) return named[c];
    if (c >= '0' && c <= '7') {
      // One non-zero digit would be a backreference, which RE2 does not have.
      if (c !== '0' && !(this.peek() && this.peek()! >= '0' && this.peek()! <= '7')) throw new Re2SyntaxError(`invalid escape sequence: \\${c}`);
      let code = Number(c);
      for (let k = 0; k < 2 && this.peek() && this.peek()! >= '0' && this.peek()! <= '7'; k++) code = code * 8 + Number(this.t[this.i++]);
      return code;
    }
    if (c === 'x') {
      if (this.peek() === '{') {
        const m = /^\{([0-9A-Fa-f]+)\}/.exec(this.ahead(40));
        const code = m ? parseInt(m[1], 16) : NaN;
        if (!m || code > MAX_RUNE) throw new Re2SyntaxError('invalid escape sequence: \\x');
        this.i += m[0].length;
        return code;
      }
      if (!isHex(this.peek()) || !isHex(this.peek(1))) throw new Re2SyntaxError('invalid escape sequence: \\x');
      this.i += 2;
      return parseInt(this.t[this.i - 2] + this.t[this.i - 1], 16);
    }
    const code = c.codePointAt(0) as number;
    if (code < 0x80 && !/[0-9A-Za-z]/.test(c)) return code;
    throw new Re2SyntaxError(`invalid escape sequence: \\${c}`);
  }

  private bracketClass(flags: number): Re2Node {
    let negated = false;
    if (this.peek() === '^') {
      this.i++;
      negated = true;
    }
    const parts: Ranges[] = [];
    let tables = false;
    const fold = (r: Ranges) => (flags & FOLD_CASE ? foldCase(r) : r);
    for (let first = true; ; first = false) {
      const c = this.peek();
      if (c === undefined) throw new Re2SyntaxError('missing ]');
      if (c === ']' && !first) break;
      if (c === '[' && this.peek(1) === ':') {
        // RE2 reads `[:` up to the next `:]` as a class name, wherever that is; without one, `[` is a rune.
        const close = this.t.findIndex((x, k) => k >= this.i + 2 && x === ':' && this.t[k + 1] === ']');
        if (close >= 0) {
          const m = /^\[:(\^?)([a-z]+):\]$/.exec(this.t.slice(this.i, close + 2).join(''));
          const posix = m ? posixClass(m[2]) : undefined;
          if (!m || !posix) throw new Re2SyntaxError('invalid character class range');
          this.i += m[0].length;
          parts.push(m[1] ? negate(fold(posix)) : fold(posix));
          continue;
        }
      }
      if (c === '\\') {
        this.i++;
        const set = this.classEscape(flags);
        if (set) {
          parts.push(set.ranges);
          tables ||= set.tables;
          continue;
        }
        this.i--;
      }
      const lo = this.classRune();
      let hi = lo;
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        this.i++;
        hi = this.classRune();
        if (hi < lo) throw new Re2SyntaxError('invalid character class range');
      }
      parts.push(fold([[lo, hi]]));
      tables ||= (flags & FOLD_CASE) !== 0 && hi >= 0x80;
    }
    this.i++; // ]
    const ranges = union(...parts);
    return classNode(negated ? negate(ranges) : ranges, tables, flags);
  }

  private classRune(): number {
    const c = this.t[this.i++];
    if (c === undefined) throw new Re2SyntaxError('missing ]');
    return c === '\\' ? this.runeEscape() : (c.codePointAt(0) as number);
  }
}

/** A literal as RE2's parser pushes it: under `(?i)`, a rune with other case forms becomes their class. */
function literal(rune: number, flags: number): Re2Node {
  const fold = (flags & FOLD_CASE) !== 0;
  if (!fold) return { op: 'literal', rune, fold };
  const orbit = foldCase([[rune, rune]]);
  return runeCount(orbit) === 1 ? { op: 'literal', rune, fold } : classNode(orbit, rune >= 0x80, flags);
}

/** RE2 builds flat concatenations and alternations (nested ones of the same kind are spliced in), and factors alternations. */
function collapse(op: 'concat' | 'alternate', items: Re2Node[]): Re2Node {
  let subs = items.flatMap((x) => (x.op === op ? x.subs : [x]));
  if (op === 'concat' && subs.length === 0) return { op: 'empty' };
  if (subs.length > 1 && op === 'alternate') subs = factorAlternation(subs);
  return subs.length === 1 ? subs[0] : { op, subs };
}

/** The product of nested counted repetitions on the worst path, which RE2 caps at 1000. */
function nestedRepeatCount(node: Re2Node): number {
  const inner = 'sub' in node ? nestedRepeatCount(node.sub) : 'subs' in node ? Math.max(1, ...node.subs.map(nestedRepeatCount)) : 1;
  if (node.op !== 'repeat') return inner;
  const n = node.max < 0 ? node.min : node.max;
  return n > 0 ? n * inner : inner;
}

/** The tree for an RE2 pattern; throws Re2SyntaxError where RE2 would refuse it, Re2UnknownError where we cannot tell. */
export function parseRe2(pattern: string): Re2Node {
  return new Parser(pattern).parse();
}

