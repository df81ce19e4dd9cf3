// What RE2 does to a parsed pattern before compiling it (RE2::Init, Regexp::Simplify, Compiler::Compile),
// for compile.ts. Each rewrite changes the shape of the program, so each is done as RE2 does
// it: the required prefix, merging neighbouring repetitions of one atom, spelling out counted
// repetitions, and dropping the anchors at either end.

import { NON_GREEDY, type Re2Node, isRepetition, repetition } from './tree.js';

const EMPTY_WIDTH = new Set(['beginText', 'endText', 'beginLine', 'endLine', 'wordBoundary', 'noWordBoundary']);

type Literal = Extract<Re2Node, { op: 'literal' }>;

/** A string of literals RE2 holds as one node: one the factoring of an alternation made (`ab` of `abc|abd`). */
function literalString(node: Re2Node): Literal[] | undefined {
  if (node.op === 'literal') return [node];
  if (node.op !== 'concat' || node.subs[0].op !== 'literal') return undefined;
  const fold = node.subs[0].fold;
  return node.subs.every((s) => s.op === 'literal' && s.fold === fold) ? (node.subs as Literal[]) : undefined;
}

/**
 * RE2 matches a leading `^literal` by itself and compiles only what follows: in a concatenation, one or
 * more `^`, then one literal string (the parser's: a run of literals that agree on `(?i)`).
 */
export function withoutRequiredPrefix(node: Re2Node): Re2Node {
  if (node.op !== 'concat') return node;
  const { subs } = node;
  let i = 0;
  while (i < subs.length && subs[i].op === 'beginText') i++;
  const first = subs[i];
  if (i === 0 || !first || !literalString(first)) return node;
  let j = i + 1;
  if (first.op === 'literal') while (j < subs.length && subs[j].op === 'literal' && (subs[j] as Literal).fold === first.fold) j++;
  const rest = subs.slice(j);
  return rest.length === 0 ? { op: 'empty' } : rest.length === 1 ? rest[0] : { op: 'concat', subs: rest };
}

type Atom = Extract<Re2Node, { op: 'literal' | 'class' | 'anyChar' | 'anyByte' }>;
const isAtom = (n: Re2Node): n is Atom => n.op === 'literal' || n.op === 'class' || n.op === 'anyChar' || n.op === 'anyByte';

function sameAtom(a: Atom, b: Re2Node): boolean {
  if (a.op !== b.op) return false;
  if (a.op === 'literal' && b.op === 'literal') return a.rune === b.rune && a.fold === b.fold;
  if (a.op === 'class' && b.op === 'class') return a.ranges.length === b.ranges.length && a.ranges.every(([lo, hi], k) => lo === b.ranges[k][0] && hi === b.ranges[k][1]);
  return true;
}

type Repeated = Extract<Re2Node, { op: 'star' | 'plus' | 'quest' | 'repeat' }>;
const asCount = (n: Repeated): [number, number] =>
  n.op === 'repeat' ? [n.min, n.max] : n.op === 'star' ? [0, -1] : n.op === 'plus' ? [1, -1] : [0, 1];

/** x*x, x+x{2}, x?x…: RE2 merges a repeated atom with a following copy or repetition of it into x{n,m}. */
function coalesce(subs: Re2Node[]): Re2Node[] {
  const out = [...subs];
  let merged = false;
  for (let i = 0; i + 1 < out.length; i++) {
    const a = out[i];
    const b = out[i + 1];
    if (!(isRepetition(a) || a.op === 'repeat') || !isAtom(a.sub)) continue;
    const bRepeats = (isRepetition(b) || b.op === 'repeat') && sameAtom(a.sub, b.sub) && (a.flags & NON_GREEDY) === (b.flags & NON_GREEDY);
    // A string of literals gives up the copies of the repeated literal it starts with.
    const string = a.sub.op === 'literal' && b.op === 'concat' ? literalString(b) : undefined;
    let taken = 0;
    while (string && taken < string.length && sameAtom(a.sub, string[taken])) taken++;
    if (!bRepeats && !sameAtom(a.sub, b) && taken === 0) continue;
    let [min, max] = asCount(a);
    const [bMin, bMax] = bRepeats ? asCount(b as Repeated) : taken > 0 ? [taken, taken] : [1, 1];
    min += bMin;
    max = bMax === -1 || max === -1 ? -1 : max + bMax;
    const repeat: Re2Node = { op: 'repeat', min, max, sub: a.sub, flags: a.flags };
    const left = string ? string.slice(taken) : [];
    if (left.length > 0) {
      out[i] = repeat;
      out[i + 1] = left.length === 1 ? left[0] : { op: 'concat', subs: left };
    } else {
      out[i] = { op: 'empty' };
      out[i + 1] = repeat;
    }
    merged = true;
  }
  // Once it has merged something, RE2 drops every empty match from the concatenation.
  return merged ? out.filter((x) => x.op !== 'empty') : out;
}

/** RE2's CoalesceWalker, over the whole tree. */
function coalesceAll(node: Re2Node): Re2Node {
  switch (node.op) {
    case 'concat':
      return { op: 'concat', subs: coalesce(node.subs.map(coalesceAll)) };
    case 'alternate':
      return { op: 'alternate', subs: node.subs.map(coalesceAll) };
    case 'capture':
    case 'star':
    case 'plus':
    case 'quest':
    case 'repeat':
      return { ...node, sub: coalesceAll(node.sub) };
    default:
      return node;
  }
}

/** x{n,m} as RE2 spells it out: x{2,5} is xx(x(x(x)?)?)?, x{2,} is xx+. */
function expandRepeat(sub: Re2Node, min: number, max: number, flags: number): Re2Node {
  // Repeating an empty-width assertion (or a run of them) more than once changes nothing.
  const emptyWidth = EMPTY_WIDTH.has(sub.op) || ((sub.op === 'concat' || sub.op === 'alternate') && sub.subs.every((s) => EMPTY_WIDTH.has(s.op)));
  if (emptyWidth) {
    min = Math.min(min, 1);
    max = Math.min(max, 1);
  }
  const concat = (subs: Re2Node[]): Re2Node => (subs.length === 1 ? subs[0] : { op: 'concat', subs });
  if (max === -1) {
    if (min === 0) return repetition('star', sub, flags);
    if (min === 1) return repetition('plus', sub, flags);
    return concat([...Array<Re2Node>(min - 1).fill(sub), repetition('plus', sub, flags)]);
  }
  if (min === 0 && max === 0) return { op: 'empty' };
  if (min === 1 && max === 1) return sub;
  const prefix = min > 0 ? concat(Array<Re2Node>(min).fill(sub)) : undefined;
  if (max === min) return prefix as Re2Node;
  let suffix = repetition('quest', sub, flags);
  for (let i = min + 1; i < max; i++) suffix = repetition('quest', { op: 'concat', subs: [sub, suffix] }, flags);
  return prefix ? { op: 'concat', subs: [prefix, suffix] } : suffix;
}

/** RE2's SimplifyWalker: the same object back when nothing changed (that decides one of its rules). */
function simplify(node: Re2Node): Re2Node {
  switch (node.op) {
    case 'class':
      if (node.ranges.length === 0) return { op: 'noMatch' };
      if (node.ranges.length === 1 && node.ranges[0][0] === 0 && node.ranges[0][1] === 0x10ffff) return { op: 'anyChar' };
      return node;
    case 'concat':
    case 'alternate': {
      const subs = node.subs.map(simplify);
      return subs.every((s, k) => s === node.subs[k]) ? node : { op: node.op, subs };
    }
    case 'capture': {
      const sub = simplify(node.sub);
      return sub === node.sub ? node : { op: 'capture', sub };
    }
    case 'star':
    case 'plus':
    case 'quest': {
      const sub = simplify(node.sub);
      if (sub.op === 'empty') return sub;
      if (sub === node.sub) return node;
      if (sub.op === node.op && sub.flags === node.flags) return sub;
      return { op: node.op, sub, flags: node.flags };
    }
    case 'repeat': {
      const sub = simplify(node.sub);
      return sub.op === 'empty' ? sub : expandRepeat(sub, node.min, node.max, node.flags);
    }
    default:
      return node;
  }
}

/** RE2's IsAnchorStart/IsAnchorEnd: a `^` (`$`) at the very start (end), looked for 4 levels deep, is dropped. */
function withoutAnchor(node: Re2Node, which: 'beginText' | 'endText', depth = 0): Re2Node | undefined {
  if (depth >= 4) return undefined;
  if (node.op === which) return { op: 'empty' };
  if (node.op === 'capture') {
    const sub = withoutAnchor(node.sub, which, depth + 1);
    return sub && { op: 'capture', sub };
  }
  if (node.op === 'concat' && node.subs.length > 0) {
    const k = which === 'beginText' ? 0 : node.subs.length - 1;
    const sub = withoutAnchor(node.subs[k], which, depth + 1);
    return sub && { op: 'concat', subs: node.subs.map((s, n) => (n === k ? sub : s)) };
  }
  return undefined;
}

/** What RE2 compiles for a parsed pattern, and whether the program is anchored at the start. */
export function prepare(parsed: Re2Node): { node: Re2Node; anchoredStart: boolean } {
  const node = simplify(coalesceAll(withoutRequiredPrefix(parsed)));
  const start = withoutAnchor(node, 'beginText');
  const both = start ?? node;
  return { node: withoutAnchor(both, 'endText') ?? both, anchoredStart: start !== undefined };
}
