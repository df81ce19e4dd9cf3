// The same hook request gives byte-identical JSON whatever order its maps arrive in: any other
// answer would cost a Kubernetes write and an istiod push for nothing.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureApp, fixtureFiles, loadFixture } from '../src/cli/replay.js';
import { repoRoot } from './support/schemas.js';

// Fixtures with a JSON request and a 200 answer: realistic requests covering every rule.
const fixtures = fixtureFiles([path.join(repoRoot, 'fixtures')])
  .map(loadFixture)
  .filter((f) => f.expected.status === 200);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The same value with the keys of every object (maps included) in a random order; lists keep theirs. */
function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, random));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = shuffleKeys((value as Record<string, unknown>)[k], random);
  return out;
}

describe('deterministic output', () => {
  it('has realistic requests to shuffle', () => {
    expect(fixtures.length).toBeGreaterThan(5);
  });

  it('answers byte-identical JSON for any order of keys and map entries in the request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fixtures), fc.integer(), async (fixture, seed) => {
        const { app } = fixtureApp(fixture);
        const post = async (body: string) => (await app.request(fixture.hook, { method: 'POST', body })).text();
        const original = await post(fixture.body);
        const shuffled = await post(JSON.stringify(shuffleKeys(JSON.parse(fixture.body), prng(seed))));
        expect(shuffled).toBe(original);
      }),
      { numRuns: 300 },
    );
  });

  it('answers the same bytes to the same request twice', async () => {
    for (const fixture of fixtures) {
      const { app } = fixtureApp(fixture);
      const post = async () => (await app.request(fixture.hook, { method: 'POST', body: fixture.body })).text();
      expect(await post()).toBe(await post());
    }
  });
});
