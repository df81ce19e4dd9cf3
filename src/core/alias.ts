// Domain aliases: a host that matches a rule's RE2 pattern exactly once also gets the names its
// templates expand to (`details.default.svc.cluster.local` → `default.details.mailsaas`). Templates
// follow Go's regexp.Expand, so configurations written for Slime mean the same thing here.

import RE2 from 're2';
import type { Fields } from './fields.js';

export interface AliasRule {
  pattern: RE2;
  templates: string[];
}

/** The compiled rules of one config, with the aliases already worked out for each host. */
export interface AliasRules {
  rules: AliasRule[];
  known: Map<string, string[]>;
}

// A mesh has a bounded set of hosts, and every sync of every fence asks about the same ones; an RE2
// call costs microseconds (the string crosses into C++ each time), so each answer is kept.
const MAX_KNOWN = 100_000;

/** Compile `domainAliases`; a broken rule is reported and skipped alone (Slime dropped them all). */
export function compileAliases(config: Fields, key = 'domainAliases'): AliasRules {
  const rules: AliasRule[] = [];
  for (const f of config.items(key)) {
    const before = f.issues.length;
    const pattern = f.string('pattern', '');
    const templates = f.strings('templates');
    if (f.list('templates').length === 0) f.report('templates', 'must list at least one template');
    const compiled = compilePattern(f, pattern);
    if (compiled && f.issues.length === before) rules.push({ pattern: compiled, templates });
  }
  return { rules, known: new Map() };
}

function compilePattern(f: Fields, pattern: string): RE2 | undefined {
  if (pattern === '') {
    f.report('pattern', 'must be a non-empty RE2 pattern');
    return undefined;
  }
  try {
    return new RE2(pattern, 'g');
  } catch (e) {
    f.report('pattern', `not a valid RE2 pattern: ${(e as Error).message}`);
    return undefined;
  }
}

/** `[host, alias…]`: each rule contributes only when its pattern matches the host exactly once. */
export function withAliases(host: string, aliases: AliasRules): string[] {
  if (aliases.rules.length === 0) return [host];
  let out = aliases.known.get(host);
  if (out) return out;
  out = computeAliases(host, aliases.rules);
  if (aliases.known.size >= MAX_KNOWN) aliases.known.clear();
  aliases.known.set(host, out);
  return out;
}

function computeAliases(host: string, rules: AliasRule[]): string[] {
  const out = [host];
  for (const rule of rules) {
    const match = singleMatch(rule.pattern, host);
    if (!match) continue;
    for (const template of rule.templates) {
      const alias = expand(template, match);
      if (alias !== '') out.push(alias);
    }
  }
  return out;
}

// The one match of `re` in `s`, or undefined when there are none or several. Counts matches as
// Go's FindAll does: an empty match right after the previous match does not count.
function singleMatch(re: RE2, s: string): RegExpExecArray | undefined {
  re.lastIndex = 0;
  let first: RegExpExecArray | undefined;
  let prevEnd = -1;
  for (;;) {
    const m = re.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      re.lastIndex = end + 1;
      if (m.index === prevEnd) continue;
    }
    if (first) return undefined;
    first = m;
    prevEnd = end;
    if (re.lastIndex > s.length) break;
  }
  return first;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go regexp.Expand: `$name`, `${name}`, `$1`, `$$`; unknown or unmatched groups expand to "". */
export function expand(template: string, match: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i += 1;
      continue;
    }
    const ref = groupRef(template, i);
    if (!ref) {
      out += '$';
      continue;
    }
    i = ref.end;
    out += groupValue(match, ref.name) ?? '';
  }
  return out + template.slice(i);
}

// The group name after a `$` at `start`: a run of letters, digits and `_`, or the same in braces.
function groupRef(t: string, start: number): { name: string; end: number } | undefined {
  const braced = t[start] === '{';
  let i = braced ? start + 1 : start;
  const nameStart = i;
  for (const ch of t.slice(nameStart)) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === nameStart) return undefined;
  const name = t.slice(nameStart, i);
  if (braced) {
    if (t[i] !== '}') return undefined;
    i += 1;
  }
  return { name, end: i };
}

function groupValue(match: RegExpExecArray, name: string): string | undefined {
  // A number without a leading zero is a group index; anything else is a group name.
  if (/^(0|[1-9]\d{0,7})$/.test(name)) return match[Number(name)];
  return match.groups?.[name];
}
