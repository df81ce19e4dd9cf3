// How RE2's parser shapes an alternation (Regexp::FactorAlternation, ParseState::DoVerticalBar), for
// syntax.ts: `abc|abd` becomes `ab(?:c|d)` and then `ab[cd]`. The shape decides the program's size,
// sometimes upwards, so it is done as RE2 does it rather than skipped.

import { foldCase, union } from './classes.js';
import { NON_GREEDY, type Re2Node } from './tree.js';

type Literal = Extract<Re2Node, { op: 'literal' }>;

const concat = (subs: Re2Node[]): Re2Node => (subs.length === 0 ? { op: 'empty' } : subs.length === 1 ? subs[0] : { op: 'concat', subs });
const alternate = (subs: Re2Node[]): Re2Node => (subs.length === 1 ? subs[0] : { op: 'alternate', subs });

/**
 * Adds an alternative as DoVerticalBar does: `(?s).` next to a literal or class swallows it.
 */
export function pushAlternative(alternatives: Re2Node[], next: Re2Node): void {
  const last = alternatives[alternatives.length - 1];
  const small = (n: Re2Node | undefined) => n?.op === 'literal' || n?.op === 'class' || n?.op === 'anyChar';
  if (last?.op === 'anyChar' && small(next)) return;
  if (next.op === 'anyChar' && small(last)) alternatives[alternatives.length - 1] = next;
  else alternatives.push(next);
}

/** The literal string an alternative starts with: its first run of literals that agree on `(?i)`. */
function leadingString(node: Re2Node): Literal[] {
  let n = node;
  while (n.op === 'concat' && n.subs[0].op === 'concat') n = n.subs[0];
  if (n.op === 'literal') return [n];
  if (n.op !== 'concat' || n.subs[0].op !== 'literal') return [];
  const first = n.subs[0];
  const run: Literal[] = [];
  for (const s of n.subs) {
    if (s.op !== 'literal' || s.fold !== first.fold) break;
    run.push(s);
  }
  return run;
}

function withoutLeadingString(node: Re2Node, count: number): Re2Node {
  if (node.op === 'literal') return { op: 'empty' };
  if (node.op !== 'concat') return node;
  const [first, ...rest] = node.subs;
  if (first.op === 'concat') {
    const inner = withoutLeadingString(first, count);
    return inner.op === 'empty' ? concat(rest) : { op: 'concat', subs: [inner, ...rest] };
  }
  return concat(node.subs.slice(count));
}

function leadingRegexp(node: Re2Node): Re2Node | undefined {
  if (node.op === 'empty') return undefined;
  if (node.op === 'concat') return node.subs[0].op === 'empty' ? undefined : node.subs[0];
  return node;
}

function withoutLeadingRegexp(node: Re2Node): Re2Node {
  if (node.op === 'empty') return node;
  if (node.op === 'concat') return node.subs[0].op === 'empty' ? node : concat(node.subs.slice(1));
  return { op: 'empty' };
}

const isAtom = (n: Re2Node) => n.op === 'literal' || n.op === 'class' || n.op === 'anyChar' || n.op === 'anyByte';

/** Round 2 factors only these out: an assertion, a class, or a fixed repetition of an atom. */
function factorable(n: Re2Node): boolean {
  switch (n.op) {
    case 'beginLine':
    case 'endLine':
    case 'wordBoundary':
    case 'noWordBoundary':
    case 'beginText':
    case 'endText':
    case 'class':
    case 'anyChar':
    case 'anyByte':
      return true;
    case 'repeat':
      return n.min === n.max && isAtom(n.sub);
    default:
      return false;
  }
}


function same(a: Re2Node, b: Re2Node): boolean {
  if (a.op !== b.op) return false;
  if (a.op === 'literal' && b.op === 'literal') return a.rune === b.rune && a.fold === b.fold;
  if (a.op === 'class' && b.op === 'class') return a.ranges.length === b.ranges.length && a.ranges.every(([lo, hi], k) => lo === b.ranges[k][0] && hi === b.ranges[k][1]);
  if (a.op === 'endText' && b.op === 'endText') return a.dollar === b.dollar;
  if (a.op === 'repeat' && b.op === 'repeat') {
    return a.min === b.min && a.max === b.max && (a.flags & NON_GREEDY) === (b.flags & NON_GREEDY) && same(a.sub, b.sub);
  }
  return true;
}

/** Runs of neighbours that share a prefix (as `split` finds it) become prefix(?:rest|rest…), the rests factored too. */
function factorRuns(subs: Re2Node[], split: (run: Re2Node[]) => { length: number; prefix: Re2Node; rests: Re2Node[] } | undefined): Re2Node[] {
  const out: Re2Node[] = [];
  for (let i = 0; i < subs.length; ) {
    const found = split(subs.slice(i));
    if (!found) {
      out.push(subs[i++]);
      continue;
    }
    out.push({ op: 'concat', subs: [found.prefix, alternate(factorAlternation(found.rests))] });
    i += found.length;
  }
  return out;
}

/** Round 1: the longest literal prefix that starts a run of two or more alternatives. */
function commonString(run: Re2Node[]): { length: number; prefix: Re2Node; rests: Re2Node[] } | undefined {
  const lead = leadingString(run[0]);
  let n = lead.length;
  let j = 1;
  for (; j < run.length && n > 0; j++) {
    const next = leadingString(run[j]);
    if (next.length === 0 || next[0].fold !== lead[0].fold) break;
    let k = 0;
    while (k < n && k < next.length && next[k].rune === lead[k].rune) k++;
    if (k === 0) break;
    n = k;
  }
  if (j < 2 || n === 0) return undefined;
  return { length: j, prefix: concat(lead.slice(0, n)), rests: run.slice(0, j).map((s) => withoutLeadingString(s, n)) };
}

/** Round 2: a simple first piece shared by a run of two or more alternatives. */
function commonPiece(run: Re2Node[]): { length: number; prefix: Re2Node; rests: Re2Node[] } | undefined {
  const first = leadingRegexp(run[0]);
  if (!first || !factorable(first)) return undefined;
  let j = 1;
  while (j < run.length) {
    const next = leadingRegexp(run[j]);
    if (!next || !same(first, next)) break;
    j++;
  }
  if (j < 2) return undefined;
  return { length: j, prefix: first, rests: run.slice(0, j).map(withoutLeadingRegexp) };
}

/** Round 3: a run of literals and classes becomes one class. */
function mergeClasses(subs: Re2Node[]): Re2Node[] {
  const out: Re2Node[] = [];
  for (let i = 0; i < subs.length; ) {
    let j = i;
    while (j < subs.length && (subs[j].op === 'literal' || subs[j].op === 'class')) j++;
    if (j - i < 2) {
      out.push(subs[i]);
      i = Math.max(j, i + 1);
      continue;
    }
    const run = subs.slice(i, j);
    const ranges = union(
      ...run.map((s) => (s.op === 'class' ? s.ranges : s.op === 'literal' ? (s.fold ? foldCase([[s.rune, s.rune]]) : [[s.rune, s.rune] as const]) : [])),
    );
    const tables = run.some((s) => (s.op === 'class' && s.tables) || (s.op === 'literal' && s.fold && s.rune >= 0x80));
    out.push({ op: 'class', ranges, tables });
    i = j;
  }
  return out;
}

/** RE2's FactorAlternation: common literal prefixes, then common simple first pieces, then classes. */
export function factorAlternation(subs: Re2Node[]): Re2Node[] {
  return mergeClasses(factorRuns(factorRuns(subs, commonString), commonPiece));
}
