// Domain aliases follow Go's regexp semantics so Slime configurations keep their meaning.
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { compileAliases, expand, withAliases } from '../src/core/alias.js';
import { Fields, type Issue } from '../src/core/fields.js';

const SVC = '(?P<service>[^\\.]+)\\.(?P<namespace>[^\\.]+)\\.svc\\.cluster\\.local$';
const rules = (...list: unknown[]) => {
  const issues: Issue[] = [];
  return { rules: compileAliases(Fields.of({ domainAliases: list }, 'spec', issues)), issues };
};
const matchOf = (pattern: string, s: string) => new RE2(pattern, 'g').exec(s)!;

describe('Go Expand templates', () => {
  const m = matchOf(SVC, 'details.default.svc.cluster.local');

  it('expands $name greedily over letters, digits and underscores', () => {
    expect(expand('$namespace.$service.mailsaas', m)).toBe('default.details.mailsaas');
    expect(expand('$service_x', m)).toBe(''); // the name is "service_x", an unknown group
  });

  it('expands ${name} with explicit bounds', () => {
    expect(expand('${service}x', m)).toBe('detailsx');
  });

  it('expands numbered groups, and $0 as the whole match', () => {
    expect(expand('$2-$1', m)).toBe('default-details');
    expect(expand('$0', m)).toBe('details.default.svc.cluster.local');
  });

  it('writes $$ as one dollar', () => {
    expect(expand('a$$b', m)).toBe('a$b');
  });

  it('expands unknown and out-of-range groups to nothing', () => {
    expect(expand('x$nope.$9y', m)).toBe('x.');
  });

  it('keeps a malformed reference as literal text', () => {
    expect(expand('a$', m)).toBe('a$');
    expect(expand('a${service', m)).toBe('a${service');
    expect(expand('$-x', m)).toBe('$-x');
  });

  it('treats a number with a leading zero as a name', () => {
    expect(expand('$01', m)).toBe('');
  });
});

describe('withAliases', () => {
  it('adds each template of a rule that matches exactly once', () => {
    const { rules: r } = rules({ pattern: SVC, templates: ['$namespace.$service.mailsaas', '$service.$namespace'] });
    expect(withAliases('details.default.svc.cluster.local', r)).toEqual([
      'details.default.svc.cluster.local',
      'default.details.mailsaas',
      'details.default',
    ]);
  });

  it('adds nothing when the pattern matches twice', () => {
    const { rules: r } = rules({ pattern: '[a-z]+', templates: ['x-$0'] });
    expect(withAliases('ab.cd', r)).toEqual(['ab.cd']);
    expect(withAliases('abcd', r)).toEqual(['abcd', 'x-abcd']);
  });

  it('counts empty matches as Go does', () => {
    const { rules: r } = rules({ pattern: 'a*', templates: ['hit'] });
    expect(withAliases('', r)).toEqual(['', 'hit']);
    expect(withAliases('b', r)).toEqual(['b']); // empty matches at 0 and 1
  });

  it('drops templates that expand to nothing', () => {
    const { rules: r } = rules({ pattern: SVC, templates: ['$missing'] });
    expect(withAliases('details.default.svc.cluster.local', r)).toEqual(['details.default.svc.cluster.local']);
  });
});

describe('compileAliases', () => {
  it('skips a rule with an invalid RE2 pattern alone and names it', () => {
    const { rules: r, issues } = rules({ pattern: '(a)\\1', templates: ['x'] }, { pattern: SVC, templates: ['$service'] });
    expect(r.rules).toHaveLength(1);
    expect(issues).toEqual([{ field: 'spec.domainAliases[0].pattern', message: 'not a valid RE2 pattern: invalid escape sequence: \\1' }]);
  });

  it('rejects a rule with no templates', () => {
    const { rules: r, issues } = rules({ pattern: SVC });
    expect(r.rules).toEqual([]);
    expect(issues).toEqual([{ field: 'spec.domainAliases[0].templates', message: 'must list at least one template' }]);
  });

  it('accepts Python-style and JS-style named groups', () => {
    const { rules: r } = rules({ pattern: '(?<svc>[^.]+)\\.(?P<ns>[^.]+)$', templates: ['$ns/$svc'] });
    expect(withAliases('a.b', r)).toEqual(['a.b', 'b/a']);
  });
});
