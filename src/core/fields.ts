// Reading user-written objects (LazyloadConfig, ServiceFence spec) field by field. A field of the
// wrong type is reported with its path and replaced by its default, so one mistake never takes the
// rest of the object down with it.

import { describeValue, isObject } from '../protocol/metacontroller.js';

export interface Issue {
  /** Path of the offending field, e.g. `spec.domainAliases[1].pattern`. */
  field: string;
  message: string;
}

export const fieldPath = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;

/** A view of one object that collects issues about its fields under a path. */
export class Fields {
  constructor(
    readonly obj: Record<string, unknown>,
    readonly path: string,
    readonly issues: Issue[],
  ) {}

  static of(value: unknown, path: string, issues: Issue[]): Fields {
    if (value !== undefined && value !== null && !isObject(value)) {
      issues.push({ field: path, message: `must be an object, got ${describeValue(value)}` });
    }
    return new Fields(isObject(value) ? value : {}, path, issues);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  at(key: string | number): string {
    return fieldPath(this.path, key);
  }

  report(key: string | number, message: string): void {
    this.issues.push({ field: this.at(key), message });
  }

  private wrong(key: string, expected: string): void {
    this.report(key, `must be ${expected}, got ${describeValue(this.obj[key])}`);
  }

  string(key: string, fallback: string): string {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string') return v;
    this.wrong(key, 'a string');
    return fallback;
  }

  optionalString(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v;
    this.wrong(key, 'a string');
    return undefined;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'boolean') return v;
    this.wrong(key, 'true or false');
    return fallback;
  }

  /** A whole number in [min, max]; numeric strings are accepted, as protobuf JSON writes int64. */
  integer(key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
    this.wrong(key, `a whole number from ${min} to ${max}`);
    return fallback;
  }

  list(key: string): unknown[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    this.wrong(key, 'a list');
    return [];
  }

  /** A list of strings; bad items are reported and left out. */
  strings(key: string): string[] {
    const out: string[] = [];
    this.list(key).forEach((item, i) => {
      if (typeof item === 'string' && item !== '') out.push(item);
      else this.issues.push({ field: fieldPath(this.at(key), i), message: `must be a non-empty string, got ${describeValue(item)}` });
    });
    return out;
  }

  /** A map of strings to strings; bad entries are reported and left out. */
  stringMap(key: string): Record<string, string> {
    const v = this.obj[key];
    const out: Record<string, string> = {};
    if (v === undefined || v === null) return out;
    if (!isObject(v)) {
      this.wrong(key, 'a map of strings');
      return out;
    }
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string') out[k] = x;
      else this.issues.push({ field: fieldPath(this.at(key), k), message: `must be a string, got ${describeValue(x)}` });
    }
    return out;
  }

  /** A view of each object in a list, reported under `key[i]`. */
  items(key: string): Fields[] {
    return this.list(key).map((item, i) => Fields.of(item, fieldPath(this.at(key), i), this.issues));
  }

  child(key: string): Fields {
    return Fields.of(this.obj[key], this.at(key), this.issues);
  }

  /** Keys present in the object that no reader asked for. */
  unknownKeys(known: Iterable<string>): string[] {
    const k = new Set(known);
    return Object.keys(this.obj).filter((key) => !k.has(key));
  }
}

/** `"a, b"` or `["a","b"]` → `["a","b"]`. */
export function nameList(f: Fields, key: string): string[] {
  const v = f.obj[key];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return f.strings(key);
}

export const formatIssues = (issues: Issue[]): string => issues.map((i) => `${i.field}: ${i.message}`).join('; ');
