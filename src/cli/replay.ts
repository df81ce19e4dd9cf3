// Fixtures: recorded hook requests with the answers we expect, replayed through the real app.
// The format is documented in fixtures/README.md.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Hono } from 'hono';
import { load } from 'js-yaml';
import { isObject } from '../protocol/metacontroller.js';
import { MANIFEST_EXTENSIONS } from './inputs.js';
import { type RecordedAnswer, type RecordedClient, parseRecordedAnswers, recordedClient } from '../prometheus/recorded.js';
import { PrometheusSource } from '../prometheus/source.js';
import { createApp } from '../server.js';

/** The clock of a fixture that names none: fixed, so replays never depend on the day. */
export const DEFAULT_FIXTURE_TIME = '2026-01-01T00:00:00Z';

export interface Fixture {
  file: string;
  description: string;
  hook: string;
  now: Date;
  /** The request body: an object, or a raw string for malformed input. */
  body: string;
  expected: { status: number; body: unknown };
  /** Recorded Prometheus answers: the hook server learns from them as from a live Prometheus. */
  prometheus?: RecordedAnswer[];
}

export class FixtureError extends Error {}

// Fixtures are read as render reads manifests.
const FIXTURE_EXT = new Set(MANIFEST_EXTENSIONS);

/** Every fixture file under the given files or folders, in path order. */
export function fixtureFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) {
      for (const entry of readdirSync(p).sort()) {
        const child = join(p, entry);
        if (statSync(child).isDirectory() || FIXTURE_EXT.has(extname(entry))) walk(child);
      }
    } else out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

export function loadFixture(file: string): Fixture {
  let doc: unknown;
  try {
    doc = load(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FixtureError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new FixtureError(`${file}: a fixture must be a mapping`);
  const fail = (msg: string): never => {
    throw new FixtureError(`${file}: ${msg}`);
  };
  if (typeof doc.hook !== 'string' || !doc.hook.startsWith('/')) fail('"hook" must be a path such as /servicefence/sync');
  if (!('request' in doc) && typeof doc.rawRequest !== 'string') fail('needs "request" (an object) or "rawRequest" (a string)');
  const response = isObject(doc.response) ? doc.response : fail('"response" must be a mapping with "body"');
  const now = new Date(String(doc.now ?? DEFAULT_FIXTURE_TIME));
  if (Number.isNaN(now.getTime())) fail(`"now" is not a timestamp: ${String(doc.now)}`);
  const prometheus = doc.prometheus === undefined ? undefined : parseRecordedAnswers(doc.prometheus);
  if (typeof prometheus === 'string') fail(prometheus);
  return {
    file,
    description: typeof doc.description === 'string' ? doc.description.trim() : '',
    hook: doc.hook as string,
    now,
    body: typeof doc.rawRequest === 'string' ? doc.rawRequest : JSON.stringify(doc.request),
    expected: { status: typeof response.status === 'number' ? response.status : 200, body: response.body },
    prometheus: prometheus as RecordedAnswer[] | undefined,
  };
}

const show = (v: unknown): string => {
  const s = v === undefined ? '(absent)' : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
};

/** Differences between two JSON values, one line each, with the path where they differ. */
export function jsonDiff(expected: unknown, actual: unknown, path = '$'): string[] {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) out.push(...jsonDiff(expected[i], actual[i], `${path}[${i}]`));
    return out;
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((k) => jsonDiff(expected[k], actual[k], /^[A-Za-z_]\w*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`));
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

export interface ReplayResult {
  fixture: Fixture;
  status: number;
  body: unknown;
  differences: string[];
}

/** The hook app a fixture runs against: its clock, and its recorded Prometheus when it has one. */
export function fixtureApp(fixture: Fixture): { app: Hono; prometheus?: RecordedClient } {
  const prometheus = fixture.prometheus && recordedClient(fixture.prometheus);
  const dependencies = prometheus && new PrometheusSource({ client: prometheus });
  return { app: createApp({ now: () => fixture.now, dependencies }), prometheus };
}

export async function replay(fixture: Fixture): Promise<ReplayResult> {
  const { app, prometheus } = fixtureApp(fixture);
  const res = await app.request(fixture.hook, { method: 'POST', body: fixture.body, headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Compared as text below.
  }
  const differences = jsonDiff(fixture.expected.body, body);
  if (res.status !== fixture.expected.status) differences.unshift(`HTTP status: expected ${fixture.expected.status}, got ${res.status}`);
  for (const q of prometheus?.unanswered ?? []) differences.unshift(`Prometheus: the hook sent a query the fixture has no answer for: ${q}`);
  return { fixture, status: res.status, body, differences };
}
