// One encoding for everything a hook answers: object keys in bytewise order at every depth, as Go's
// encoding/json writes maps. The same desired state then always gives the same bytes, whatever order
// the request's maps arrived in, so Metacontroller never sees a change that is not one.

/** Bytewise (UTF-8) order, as Go's sort.Strings; JS's default order differs only past U+D7FF. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  if (/[\uD800-\uFFFF]/.test(a) || /[\uD800-\uFFFF]/.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : 1;
}

export const sortBytewise = (items: Iterable<string>): string[] => [...items].sort(compareBytes);

// Written out by hand rather than by rebuilding objects for JSON.stringify: JS enumerates
// integer-like keys ("9", "10") numerically first, whatever order they were inserted in.
export function encodeCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : encodeCanonical(v))).join(',')}]`;
  const parts: string[] = [];
  for (const key of sortBytewise(Object.keys(value))) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${encodeCanonical(v)}`);
  }
  return `{${parts.join(',')}}`;
}
