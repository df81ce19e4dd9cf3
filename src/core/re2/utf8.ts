// A character class as RE2 compiles it for UTF-8 input: each rune range split into byte sequences of
// one length and one leading byte, the sequences merged into a trie on their leading bytes, and equal
// trailing byte ranges shared (Compiler::AddRuneRangeUTF8 and friends).

import { MAX_RUNE, type Ranges } from './classes.js';
import { ALT, BYTES, type Frag, NO_MATCH, type Program, isNoMatch } from './program.js';

export function utf8(rune: number): number[] {
  if (rune < 0x80) return [rune];
  if (rune < 0x800) return [0xc0 | (rune >> 6), 0x80 | (rune & 0x3f)];
  if (rune < 0x10000) return [0xe0 | (rune >> 12), 0x80 | ((rune >> 6) & 0x3f), 0x80 | (rune & 0x3f)];
  return [0xf0 | (rune >> 18), 0x80 | ((rune >> 12) & 0x3f), 0x80 | ((rune >> 6) & 0x3f), 0x80 | (rune & 0x3f)];
}

export class ClassCompiler {
  // The class being compiled: its alternation of byte sequences, and the shared suffixes.
  private range: Frag = NO_MATCH;
  private readonly cache = new Map<number, number>();

  constructor(private readonly p: Program) {}

  compile(ranges: Ranges): Frag {
    if (ranges.length === 0) return NO_MATCH;
    // A class that treats A-Z as it treats a-z matches upper case through a-z's case-folding flag.
    const has = (c: number) => ranges.some(([lo, hi]) => lo <= c && c <= hi);
    let foldsAscii = true;
    for (let c = 0x61; c <= 0x7a; c++) if (has(c) !== has(c - 0x20)) foldsAscii = false;
    this.range = { begin: 0, end: [], nullable: false };
    this.cache.clear();
    for (const [lo, hi] of ranges) {
      if (foldsAscii && lo >= 0x41 && hi <= 0x5a) continue;
      const fold = foldsAscii && !((lo <= 0x41 && hi >= 0x7a) || hi < 0x41 || lo > 0x7a || (lo > 0x5a && hi < 0x61));
      this.runeRange(lo, hi, fold);
    }
    return isNoMatch(this.range) ? NO_MATCH : this.range;
  }

  compileAny(): Frag {
    return this.compile([[0, MAX_RUNE]]);
  }

  /** The UTF-8 byte sequences of lo-hi, added to the class being compiled. */
  private runeRange(lo: number, hi: number, fold: boolean): void {
    if (lo > hi) return;
    if (lo === 0x80 && hi === 0x10ffff) {
      // RE2's shortcut for "any non-ASCII rune": lax lead bytes, shared continuation bytes.
      const cont1 = this.suffix(0x80, 0xbf, false, 0);
      this.addSuffix(this.suffix(0xc2, 0xdf, false, cont1));
      const cont2 = this.suffix(0x80, 0xbf, false, cont1);
      this.addSuffix(this.suffix(0xe0, 0xef, false, cont2));
      const cont3 = this.suffix(0x80, 0xbf, false, cont2);
      this.addSuffix(this.suffix(0xf0, 0xf4, false, cont3));
      return;
    }
    // Split into pieces of one encoded length, then into pieces that agree on all leading bytes.
    for (const max of [0x7f, 0x7ff, 0xffff]) {
      if (lo <= max && max < hi) {
        this.runeRange(lo, max, fold);
        this.runeRange(max + 1, hi, fold);
        return;
      }
    }
    if (hi < 0x80) {
      this.addSuffix(this.suffix(lo, hi, fold, 0));
      return;
    }
    for (let i = 1; i < 4; i++) {
      const m = (1 << (6 * i)) - 1;
      if ((lo & ~m) !== (hi & ~m)) {
        if ((lo & m) !== 0) {
          this.runeRange(lo, lo | m, fold);
          this.runeRange((lo | m) + 1, hi, fold);
          return;
        }
        if ((hi & m) !== m) {
          this.runeRange(lo, (hi & ~m) - 1, fold);
          this.runeRange(hi & ~m, hi, fold);
          return;
        }
      }
    }
    const ulo = utf8(lo);
    const uhi = utf8(hi);
    let id = 0;
    for (let i = ulo.length - 1; i >= 0; i--) {
      // Shared: the last byte, and middle bytes that are ranges; never the lead byte.
      const shared = i === ulo.length - 1 || (ulo[i] < uhi[i] && i !== 0);
      id = this.suffix(ulo[i], uhi[i], false, id, shared);
    }
    this.addSuffix(id);
  }

  private key(lo: number, hi: number, fold: boolean, next: number): number {
    return ((next * 256 + lo) * 256 + hi) * 2 + (fold ? 1 : 0);
  }

  /** A byte range leading to next (0: the end of the class), shared with equal ones when asked. */
  private suffix(lo: number, hi: number, fold: boolean, next: number, shared = false): number {
    const key = this.key(lo, hi, fold, next);
    if (shared && this.cache.has(key)) return this.cache.get(key) as number;
    const id = this.p.bytes(lo, hi, fold, next);
    if (next === 0) this.range.end.push(id << 1);
    if (shared) this.cache.set(key, id);
    return id;
  }

  private isShared(id: number): boolean {
    const { p } = this;
    return this.cache.has(this.key(p.lo[id], p.hi[id], p.fold[id] === 1, p.out[id]));
  }

  private addSuffix(id: number): void {
    if (this.range.begin === 0) this.range.begin = id;
    else this.range.begin = this.addToTrie(this.range.begin, id);
  }

  private sameBytes(a: number, b: number): boolean {
    const { p } = this;
    return p.lo[a] === p.lo[b] && p.hi[a] === p.hi[b] && p.fold[a] === p.fold[b];
  }

  /** Merges a byte sequence into the trie at root, sharing a leading byte with the latest branch. */
  private addToTrie(root: number, id: number): number {
    const { p } = this;
    let parentAlt = -1; // -1: the match is root itself
    if (p.kind[root] === BYTES) {
      if (!this.sameBytes(root, id)) return p.alloc(ALT, root, id);
    } else if (this.sameBytes(p.out1[root], id)) {
      parentAlt = root;
    } else {
      return p.alloc(ALT, root, id);
    }
    let br = parentAlt < 0 ? root : p.out1[parentAlt];
    if (this.isShared(br)) {
      // A shared suffix may not change: the branch gets its own copy.
      br = p.bytes(p.lo[br], p.hi[br], p.fold[br] === 1, p.out[br]);
      if (parentAlt < 0) root = br;
      else p.out1[parentAlt] = br;
    }
    const next = p.out[id];
    if (!this.isShared(id)) {
      if (id !== p.size - 1) throw new Error('re2: freeing an instruction that is not the last');
      p.size--; // RE2 frees the unneeded lead byte, and reuses its slot
    }
    p.out[br] = this.addToTrie(p.out[br], next);
    return root;
  }
}
