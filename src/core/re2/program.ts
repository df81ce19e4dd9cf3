// RE2's instruction graph before Flatten(), as compile.ts builds it: one instruction per slot, in
// the order RE2 allocates them (the order decides some of Flatten's roots, flatten.ts).

export const FAIL = 0;
export const MATCH = 1;
export const BYTES = 2;
export const CAPTURE = 3;
export const EMPTY_WIDTH = 4;
export const NOP = 5;
export const ALT = 6;
export const ALT_MATCH = 7;

/** Instructions built before giving up: far beyond any program RE2 itself would compile. */
export const MAX_INSTRUCTIONS = 2_000_000;
export class TooLarge extends Error {}

/** A fragment: its first instruction, and the open exits to patch (2·id for out, 2·id+1 for out1). */
export interface Frag {
  begin: number;
  end: number[];
  nullable: boolean;
}
export const NO_MATCH: Frag = { begin: 0, end: [], nullable: false };
export const isNoMatch = (f: Frag) => f.begin === 0;

/** Appends b's exits to a's (a fragment's exits are used once, so a's list may grow in place). */
export function append(a: number[], b: number[]): number[] {
  for (const x of b) a.push(x);
  return a;
}

export class Program {
  kind = new Uint8Array(1024);
  out = new Int32Array(1024);
  out1 = new Int32Array(1024);
  lo = new Uint8Array(1024);
  hi = new Uint8Array(1024);
  fold = new Uint8Array(1024);
  size = 1; // instruction 0 is Fail

  alloc(kind: number, out = 0, out1 = 0): number {
    if (this.size === this.kind.length) {
      if (this.size >= MAX_INSTRUCTIONS) throw new TooLarge();
      for (const key of ['kind', 'out', 'out1', 'lo', 'hi', 'fold'] as const) {
        const grown = new (this[key].constructor as Uint8ArrayConstructor)(this.size * 2);
        grown.set(this[key]);
        (this as Record<typeof key, Uint8Array | Int32Array>)[key] = grown;
      }
    }
    const id = this.size++;
    this.kind[id] = kind;
    this.out[id] = out;
    this.out1[id] = out1;
    return id;
  }

  /** A byte range instruction leading to out. */
  bytes(lo: number, hi: number, fold: boolean, out = 0): number {
    const id = this.alloc(BYTES, out);
    this.lo[id] = lo;
    this.hi[id] = hi;
    this.fold[id] = fold ? 1 : 0;
    return id;
  }

  patch(list: number[], target: number): void {
    for (const p of list) (p & 1 ? this.out1 : this.out)[p >> 1] = target;
  }
}
