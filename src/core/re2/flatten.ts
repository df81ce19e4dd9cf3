// What RE2 does to the compiled graph before it reports ProgramSize(): Prog::Optimize, then
// Prog::Flatten, whose output is what ProgramSize() counts.

import { ALT, ALT_MATCH, BYTES, CAPTURE, EMPTY_WIDTH, MATCH, NOP, type Program } from './program.js';

/** Prog::Optimize: jumps skip no-ops; a loop of any byte before a match becomes AltMatch. */
function optimize(p: Program, start: number): void {
  const skipNops = (id: number) => {
    while (id !== 0 && p.kind[id] === NOP) id = p.out[id];
    return id;
  };
  const seen = new Uint8Array(p.size);
  const queue = [start];
  seen[start] = 1;
  const visit = (id: number) => {
    if (id !== 0 && !seen[id]) {
      seen[id] = 1;
      queue.push(id);
    }
  };
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q];
    p.out[id] = skipNops(p.out[id]);
    visit(p.out[id]);
    if (p.kind[id] === ALT) {
      p.out1[id] = skipNops(p.out1[id]);
      visit(p.out1[id]);
    }
  }
  const isMatch = (id: number): boolean => {
    while (p.kind[id] === CAPTURE || p.kind[id] === NOP) id = p.out[id];
    return p.kind[id] === MATCH;
  };
  const anyByteBack = (id: number, alt: number) => p.kind[id] === BYTES && p.out[id] === alt && p.lo[id] === 0 && p.hi[id] === 0xff;
  for (const id of queue) {
    if (p.kind[id] !== ALT) continue;
    const [j, k] = [p.out[id], p.out1[id]];
    if ((anyByteBack(j, id) && isMatch(k)) || (isMatch(j) && anyByteBack(k, id))) p.kind[id] = ALT_MATCH;
  }
}

/**
 * The size of the program Prog::Flatten() makes: the graph is cut into "roots" (the starts, every
 * instruction a byte range, capture or assertion leads to, and instructions reached from two roots
 * through jumps alone); each root's list holds the leaf instructions its jumps reach, plus one
 * instruction per other root they reach.
 */
function flattenedSize(p: Program, start: number, startUnanchored: number): number {
  const n = p.size;
  const { kind, out, out1 } = p;
  const isRoot = new Uint8Array(n);
  const roots: number[] = [];
  const markRoot = (id: number) => {
    if (!isRoot[id]) {
      isRoot[id] = 1;
      roots.push(id);
    }
  };
  markRoot(0);
  markRoot(startUnanchored);
  markRoot(start);

  // Jumps, as (from, to) pairs, for finding each instruction's jumping predecessors.
  const jumpFrom: number[] = [];
  const jumpTo: number[] = [];
  const stamp = new Int32Array(n);
  let epoch = 1;
  const stack = [startUnanchored];
  while (stack.length > 0) {
    let id = stack.pop() as number;
    while (stamp[id] !== epoch) {
      stamp[id] = epoch;
      const k = kind[id];
      if (k === ALT || k === ALT_MATCH) {
        jumpFrom.push(id, id);
        jumpTo.push(out[id], out1[id]);
        stack.push(out1[id]);
        id = out[id];
      } else if (k === BYTES || k === CAPTURE || k === EMPTY_WIDTH) {
        markRoot(out[id]);
        id = out[id];
      } else if (k === NOP) {
        id = out[id];
      } else {
        break;
      }
    }
  }
  const predStart = new Int32Array(n + 1);
  for (const to of jumpTo) predStart[to + 1]++;
  for (let i = 0; i < n; i++) predStart[i + 1] += predStart[i];
  const preds = new Int32Array(jumpTo.length);
  const fill = predStart.slice(0, n);
  jumpTo.forEach((to, k) => (preds[fill[to]++] = jumpFrom[k]));

  // Visits what root's jumps reach, stopping at leaves and at other roots, into `reached`.
  const reached: number[] = [];
  const todo: number[] = [];
  const flood = (root: number): void => {
    epoch++;
    reached.length = 0;
    todo.push(root);
    while (todo.length > 0) {
      let id = todo.pop() as number;
      while (stamp[id] !== epoch) {
        stamp[id] = epoch;
        reached.push(id);
        if (id !== root && isRoot[id]) break;
        const k = kind[id];
        if (k === ALT || k === ALT_MATCH) {
          todo.push(out1[id]);
          id = out[id];
        } else if (k === NOP) {
          id = out[id];
        } else {
          break;
        }
      }
    }
  };

  // A root's instructions that another root also reaches through jumps become roots of their own,
  // looked at from the last instruction down; the two starts are not looked at.
  const sorted = [...roots].sort((a, b) => a - b);
  for (let k = sorted.length - 1; k > 0; k--) {
    const root = sorted[k];
    if (root === start || root === startUnanchored) continue;
    flood(root);
    for (const id of reached) {
      for (let q = predStart[id]; q < predStart[id + 1]; q++) {
        if (stamp[preds[q]] !== epoch) {
          markRoot(id);
          break;
        }
      }
    }
  }

  let size = 0;
  for (const root of roots) {
    flood(root);
    for (const id of reached) {
      if (id !== root && isRoot[id]) size++; // a jump to another list
      else if (kind[id] !== ALT && kind[id] !== NOP) size++; // a leaf, or AltMatch
    }
  }
  return size;
}

/** ProgramSize() of the compiled program. */
export function flattenedProgramSize(p: Program, start: number, startUnanchored: number): number {
  if (start === 0 && startUnanchored === 0) return 1; // nothing can match: Fail alone
  optimize(p, start);
  return flattenedSize(p, start, startUnanchored);
}
