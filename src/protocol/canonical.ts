// Orders and one encoding for everything a hook answers. Lists whose order is part of the contract
// (Sidecar hosts) are sorted bytewise, as Go's sort.Strings. Object keys are written in one fixed
// order at every depth, so the same desired state always gives the same bytes whatever order the
// request's maps arrived in, and Metacontroller never sees a change that is not one.

// UTF-16 order (JS's own) and UTF-8 byte order (Go's sort.Strings) differ only for code units from
// U+D800 up; hosts and label keys almost never have them, so the fast path is the common one.
const BEYOND_BMP_ORDER = /[\uD800-\uFFFF]/;

const compareUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Bytewise (UTF-8) order, as Go's sort.Strings. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  if (BEYOND_BMP_ORDER.test(a) || BEYOND_BMP_ORDER.test(b)) return compareUtf8(a, b);
  return a < b ? -1 : 1;
}

export function sortBytewise(items: Iterable<string>): string[] {
  const out = Array.isArray(items) ? items.slice() : [...items];
  if (out.length < 2) return out;
  return BEYOND_BMP_ORDER.test(out.join('')) ? out.sort(compareUtf8) : out.sort();
}

// JS enumerates keys that are array indexes ("9", "10") first and numerically, whatever order they
// were inserted in, so an answer holding such a key is written out by hand.
const INDEX_KEY = /^(0|[1-9]\d{0,9})$/;

class NeedsHandWriting extends Error {}

// The value with every object's keys in JS string order (UTF-16 code units: the same as byte order
// for everything short of U+D800, and fixed, which is what matters for a key order). Objects already
// in order (the core builds its answers that way) are reused as they are: checked, not copied.
function ordered(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const o = ordered(value[i]);
      if (o !== value[i]) (out ??= value.slice())[i] = o;
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  let keys = Object.keys(obj);
  let out: Record<string, unknown> | undefined;
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1] < keys[i])) {
      keys.sort();
      out = {};
      break;
    }
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key.charCodeAt(0) <= 0x39 && INDEX_KEY.test(key)) throw new NeedsHandWriting();
    const v = obj[key];
    const o = ordered(v);
    if (o !== v && !out) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = obj[keys[j]];
    }
    if (out) out[key] = o;
  }
  return out ?? obj;
}

function writeOut(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : writeOut(v))).join(',')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${writeOut(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** JSON with object keys in one fixed order at every depth. */
export function encodeCanonical(value: unknown): string {
  try {
    return JSON.stringify(ordered(value));
  } catch (e) {
    if (e instanceof NeedsHandWriting) return writeOut(value);
    throw e;
  }
}
