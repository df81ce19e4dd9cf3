import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GroupCandidate, workloadGroupOf } from '../src/core/workload-group.js';

// Few label keys and values, so that random selectors often contain or overlap each other.
const candidates = fc.uniqueArray(
  fc.record({ name: fc.stringMatching(/^[a-e]{1,2}$/), selector: fc.dictionary(fc.constantFrom('app', 'tier', 'version'), fc.constantFrom('a', 'b'), { minKeys: 1 }) }),
  { selector: (c) => c.name, minLength: 1, maxLength: 8 },
);

const fence = (name: string, selector: Record<string, string>): GroupCandidate => ({ name, selector });

describe('workloadGroupOf', () => {
  it('leaves a fence alone when no other selector shares its pods', () => {
    const g = workloadGroupOf('cart', [fence('cart', { app: 'cart' }), fence('shop', { app: 'shop' })]);
    expect(g).toEqual({ role: 'alone', selector: { app: 'cart' }, overlaps: [] });
  });

  it('makes the first name the owner among equal selectors', () => {
    const candidates = [fence('cart-headless', { app: 'cart' }), fence('cart', { app: 'cart' })];
    expect(workloadGroupOf('cart', candidates)).toEqual({ role: 'owner', selector: { app: 'cart' }, members: ['cart-headless'], overlaps: [] });
    expect(workloadGroupOf('cart-headless', candidates)).toEqual({ role: 'member', owner: 'cart', selector: { app: 'cart' }, overlaps: [] });
  });

  it('makes the most general selector the owner whatever the names', () => {
    const candidates = [fence('a-metrics', { app: 'api', port: 'metrics' }), fence('z-api', { app: 'api' })];
    expect(workloadGroupOf('a-metrics', candidates)).toMatchObject({ role: 'member', owner: 'z-api', selector: { app: 'api' } });
    expect(workloadGroupOf('z-api', candidates)).toMatchObject({ role: 'owner', members: ['a-metrics'] });
  });

  it('groups two narrower selectors under the one both contain', () => {
    const candidates = [fence('api', { app: 'api' }), fence('api-v1', { app: 'api', version: 'v1' }), fence('api-canary', { app: 'api', track: 'canary' })];
    expect(workloadGroupOf('api', candidates)).toEqual({ role: 'owner', selector: { app: 'api' }, members: ['api-canary', 'api-v1'], overlaps: [] });
  });

  it('reports selectors with different label keys as a possible overlap on both fences, without grouping them', () => {
    const candidates = [fence('web', { app: 'web' }), fence('frontend', { tier: 'frontend' })];
    expect(workloadGroupOf('web', candidates)).toEqual({ role: 'alone', selector: { app: 'web' }, overlaps: [{ owner: 'frontend', selector: { tier: 'frontend' } }] });
    expect(workloadGroupOf('frontend', candidates)).toEqual({ role: 'alone', selector: { tier: 'frontend' }, overlaps: [{ owner: 'web', selector: { app: 'web' } }] });
  });

  it('does not report selectors that exclude each other by a value', () => {
    const g = workloadGroupOf('a', [fence('a', { app: 'a', tier: 'x' }), fence('b', { app: 'b' })]);
    expect(g.overlaps).toEqual([]);
  });

  it('puts a selector within two unrelated ones in the group of the more general, and reports the other', () => {
    const candidates = [fence('web', { app: 'web' }), fence('frontend', { tier: 'frontend', zone: 'a' }), fence('web-frontend', { app: 'web', tier: 'frontend', zone: 'a' })];
    expect(workloadGroupOf('web-frontend', candidates)).toEqual({
      role: 'member',
      owner: 'web',
      selector: { app: 'web' },
      overlaps: [{ owner: 'frontend', selector: { tier: 'frontend', zone: 'a' } }],
    });
  });

  it('names the owner of a whole overlapping group, not each of its members', () => {
    const candidates = [fence('web', { app: 'web' }), fence('front', { tier: 'front' }), fence('front-2', { tier: 'front' })];
    expect(workloadGroupOf('web', candidates).overlaps).toEqual([{ owner: 'front', selector: { tier: 'front' } }]);
  });

  it('does not depend on the order of the candidates', () => {
    fc.assert(
      fc.property(candidates.chain((cs) => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length }))), ([cs, shuffled]) => {
        for (const c of cs) expect(workloadGroupOf(c.name, shuffled)).toEqual(workloadGroupOf(c.name, cs));
      }),
    );
  });

  it('gives every group exactly one owner, whom every member names', () => {
    fc.assert(
      fc.property(candidates, (cs) => {
        const groups = new Map(cs.map((c) => [c.name, workloadGroupOf(c.name, cs)]));
        for (const [name, g] of groups) {
          if (g.role === 'member') {
            const owner = groups.get(g.owner)!;
            expect(owner.role).toBe('owner');
            expect(owner.role === 'owner' && owner.members).toContain(name);
          }
          if (g.role === 'owner') {
            for (const m of g.members) expect(groups.get(m)).toMatchObject({ role: 'member', owner: name });
            // The owner's Sidecar covers every member's pods: its labels are in each member's selector.
            for (const m of g.members) {
              const theirs = cs.find((c) => c.name === m)!.selector;
              for (const [k, v] of Object.entries(g.selector)) expect(theirs[k]).toBe(v);
            }
          }
        }
      }),
    );
  });
});
