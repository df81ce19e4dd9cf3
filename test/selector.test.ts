// Label selectors select namespaces for auto-fence exactly as Kubernetes selects objects.
import { describe, expect, it } from 'vitest';
import { selects } from '../src/core/selector.js';

const labels = { env: 'prod', team: 'payments' };

describe('label selectors', () => {
  it('select everything when empty', () => {
    expect(selects({}, {})).toBe(true);
    expect(selects({ matchLabels: {}, matchExpressions: [] }, labels)).toBe(true);
  });

  it('need every matchLabels pair', () => {
    expect(selects({ matchLabels: { env: 'prod', team: 'payments' } }, labels)).toBe(true);
    expect(selects({ matchLabels: { env: 'prod', team: 'web' } }, labels)).toBe(false);
  });

  it('need matchLabels and every expression together', () => {
    expect(selects({ matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['web'] }] }, labels)).toBe(false);
  });

  it('match In only when the label is there with a listed value', () => {
    expect(selects({ matchExpressions: [{ key: 'env', operator: 'In', values: ['staging', 'prod'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod'] }] }, labels)).toBe(false);
  });

  it('match NotIn when the label is missing or has another value', () => {
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['legacy'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels)).toBe(false);
  });

  it('match Exists and DoesNotExist on the key alone, an empty value included', () => {
    expect(selects({ matchExpressions: [{ key: 'flag', operator: 'Exists' }] }, { flag: '' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'flag', operator: 'DoesNotExist' }] }, { flag: '' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'flag', operator: 'DoesNotExist' }] }, labels)).toBe(true);
  });

  it('never take an inherited property for a label', () => {
    expect(selects({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selects({ matchLabels: { toString: 'x' } }, labels)).toBe(false);
  });
});
