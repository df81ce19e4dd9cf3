// The tree of a parsed RE2 pattern (syntax.ts), with what its program size depends on: the runes of
// each class once folded, which literals RE2 would join into one string, the flags RE2 compares when
// it merges repetitions.

import type { Ranges } from './classes.js';

// Parse flags. RE2 merges nested repetitions only when all of them agree.
export const FOLD_CASE = 1;
export const DOT_NL = 2;
export const MULTI_LINE = 4;
export const NON_GREEDY = 8;

export type EmptyWidth = 'beginText' | 'endText' | 'beginLine' | 'endLine' | 'wordBoundary' | 'noWordBoundary';

export type Re2Node =
  | { op: 'empty' }
  | { op: 'noMatch' }
  /** `fold`: parsed under `(?i)`; RE2 joins only literals that agree on it into one string. */
  | { op: 'literal'; rune: number; fold: boolean }
  /** `tables`: its runes came from the JavaScript engine's Unicode tables. */
  | { op: 'class'; ranges: Ranges; tables: boolean }
  /** `(?s).`: every rune, like a full class, but RE2 tells the two apart when it merges repetitions. */
  | { op: 'anyChar' }
  | { op: 'anyByte' }
  /** `dollar`: an end of text written `$`, which RE2 keeps apart from `\z`. */
  | { op: EmptyWidth; dollar?: boolean }
  | { op: 'capture'; sub: Re2Node }
  | { op: 'concat' | 'alternate'; subs: Re2Node[] }
  | { op: 'star' | 'plus' | 'quest'; sub: Re2Node; flags: number }
  /** `max` -1: no upper bound. */
  | { op: 'repeat'; min: number; max: number; sub: Re2Node; flags: number };

export type Repetition = Extract<Re2Node, { op: 'star' | 'plus' | 'quest' }>;
export const isRepetition = (n: Re2Node): n is Repetition => n.op === 'star' || n.op === 'plus' || n.op === 'quest';

/** x*, x+, x? as RE2 builds them: a repetition of a repetition with the same flags is one of them, or x*. */
export function repetition(op: Repetition['op'], sub: Re2Node, flags: number): Re2Node {
  if (isRepetition(sub) && sub.flags === flags) return sub.op === op || sub.op === 'star' ? sub : { op: 'star', sub: sub.sub, flags };
  return { op, sub, flags };
}

/** RE2 refuses the pattern. */
export class Re2SyntaxError extends Error {}
/** RE2 accepts the pattern, but lazyload cannot tell what it compiles to. */
export class Re2UnknownError extends Error {}
