// RE2's Compiler: the instruction graph of a prepared pattern (simplify.ts), Thompson's construction
// as RE2 does it, allocating instructions in RE2's order.

import { type Re2Node } from './tree.js';
import { ALT, CAPTURE, EMPTY_WIDTH, type Frag, MATCH, NOP, NO_MATCH, Program, append, isNoMatch } from './program.js';
import { ClassCompiler, utf8 } from './utf8.js';

/** Builds the graph as RE2's Compiler does, in the same order (the order decides some of Flatten's roots). */
class Compiler {
  readonly p = new Program();
  private readonly classes = new ClassCompiler(this.p);
  /** Instructions of classes whose runes came from Unicode tables. */
  tableInstructions = 0;

  cat(a: Frag, b: Frag): Frag {
    if (isNoMatch(a) || isNoMatch(b)) return NO_MATCH;
    const { p } = this;
    // A lone unpatched no-op in front is dropped.
    if (p.kind[a.begin] === NOP && a.end.length === 1 && a.end[0] === a.begin << 1 && p.out[a.begin] === 0) {
      p.patch(a.end, b.begin);
      return b;
    }
    p.patch(a.end, b.begin);
    return { begin: a.begin, end: b.end, nullable: a.nullable && b.nullable };
  }

  alt(a: Frag, b: Frag): Frag {
    if (isNoMatch(a)) return b;
    if (isNoMatch(b)) return a;
    const id = this.p.alloc(ALT, a.begin, b.begin);
    return { begin: id, end: append(a.end, b.end), nullable: a.nullable || b.nullable };
  }

  plus(a: Frag): Frag {
    const id = this.p.alloc(ALT, a.begin);
    this.p.patch(a.end, id);
    return { begin: a.begin, end: [(id << 1) | 1], nullable: a.nullable };
  }

  star(a: Frag): Frag {
    // RE2 compiles a nullable x* as (x+)? to keep its priorities right.
    if (a.nullable) return this.quest(this.plus(a));
    const id = this.p.alloc(ALT, a.begin);
    this.p.patch(a.end, id);
    return { begin: id, end: [(id << 1) | 1], nullable: true };
  }

  quest(a: Frag): Frag {
    if (isNoMatch(a)) return this.leaf(NOP, true);
    const id = this.p.alloc(ALT, a.begin);
    return { begin: id, end: append([(id << 1) | 1], a.end), nullable: true };
  }

  leaf(kind: number, nullable: boolean): Frag {
    const id = this.p.alloc(kind);
    return { begin: id, end: kind === MATCH ? [] : [id << 1], nullable };
  }

  bytes(lo: number, hi: number, fold = false): Frag {
    const id = this.p.bytes(lo, hi, fold);
    return { begin: id, end: [id << 1], nullable: false };
  }

  capture(a: Frag): Frag {
    if (isNoMatch(a)) return NO_MATCH;
    const open = this.p.alloc(CAPTURE, a.begin);
    const close = this.p.alloc(CAPTURE);
    this.p.patch(a.end, close);
    return { begin: open, end: [close << 1], nullable: a.nullable };
  }

  literal(rune: number, fold: boolean): Frag {
    if (rune < 0x80) return this.bytes(rune, rune, fold);
    return utf8(rune).reduce<Frag | undefined>((f, b) => (f ? this.cat(f, this.bytes(b, b)) : this.bytes(b, b)), undefined) as Frag;
  }

  compile(node: Re2Node): Frag {
    switch (node.op) {
      case 'empty':
        return this.leaf(NOP, true);
      case 'noMatch':
        return NO_MATCH;
      case 'anyChar':
        return this.classes.compileAny();
      case 'literal':
        return this.literal(node.rune, node.fold);
      case 'class': {
        const before = this.p.size;
        const f = this.classes.compile(node.ranges);
        if (node.tables) this.tableInstructions += this.p.size - before;
        return f;
      }
      case 'anyByte':
        return this.bytes(0x00, 0xff);
      case 'beginText':
      case 'endText':
      case 'beginLine':
      case 'endLine':
      case 'wordBoundary':
      case 'noWordBoundary':
        return this.leaf(EMPTY_WIDTH, true);
      case 'capture':
        return this.capture(this.compile(node.sub));
      case 'concat':
        if (node.subs.length === 0) return this.leaf(NOP, true);
        return node.subs.map((s) => this.compile(s)).reduce((a, b) => this.cat(a, b));
      case 'alternate':
        return node.subs.map((s) => this.compile(s)).reduce((a, b) => this.alt(a, b), NO_MATCH);
      case 'star':
        return this.star(this.compile(node.sub));
      case 'plus':
        return this.plus(this.compile(node.sub));
      case 'quest':
        return this.quest(this.compile(node.sub));
      case 'repeat':
        throw new Error('re2: counted repetition left after simplifying');
    }
  }
}

/** The program RE2 compiles for a prepared pattern: Fail at 0, the pattern, Match, and, unless anchored, a leading lazy loop over any byte. */
export function compileProgram(node: Re2Node, anchoredStart: boolean): { p: Program; start: number; startUnanchored: number; tableInstructions: number } {
  const c = new Compiler();
  let all = c.cat(c.compile(node), c.leaf(MATCH, false));
  const start = all.begin;
  if (!anchoredStart) {
    const anyByte = c.bytes(0x00, 0xff);
    const loop = c.p.alloc(ALT, 0, anyByte.begin);
    c.p.patch(anyByte.end, loop);
    all = c.cat({ begin: loop, end: [loop << 1], nullable: true }, all);
  }
  return { p: c.p, start, startUnanchored: all.begin, tableInstructions: c.tableInstructions };
}
