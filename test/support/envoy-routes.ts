// Envoy's rules for one route configuration, as its RouteMatcher (source/common/router/config_impl.cc)
// and the RouteConfiguration proto's validation apply them when the configuration arrives: one
// failure rejects the whole configuration, and the port keeps its old routes until a good one comes.

import RE2 from 're2';
import type { Json, RouteConfiguration } from './istio-routes.js';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every `safe_regex` in a value, with where it is. */
function safeRegexes(value: unknown, where: string): { where: string; matcher: Json }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => safeRegexes(v, `${where}[${i}]`));
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === 'safe_regex' && isObject(v) ? [{ where: `${where}.${k}`, matcher: v }] : []),
    ...safeRegexes(v, `${where}.${k}`),
  ]);
}

// Envoy reads a domain with `*` first as a suffix wildcard and with `*` last as a prefix wildcard;
// any other `*` is a literal character, so such a domain matches no real host.
function wildcardProblem(domain: string): string | undefined {
  if (domain === '*') return undefined;
  const stars = domain.split('*').length - 1;
  if (stars === 0) return undefined;
  if (stars === 1 && (domain.startsWith('*') || domain.endsWith('*'))) return undefined;
  return `domain ${JSON.stringify(domain)} is no wildcard Envoy knows (one leading or one trailing "*"): Envoy reads it literally`;
}

/**
 * Why Envoy would reject this route configuration, or accept it only with something we never mean to
 * emit. Empty: Envoy accepts it as meant. Rejected: a virtual host without a name or domains, a
 * domain with a control character, a second `*`, a domain on two virtual hosts (compared lowercase,
 * as Envoy lowercases them), a regex RE2 cannot compile. Accepted but wrong: a virtual host name
 * repeated (Envoy only uses names for statistics, but istiod never repeats one and a VIRTUAL_HOST
 * patch matching the name hits both), a wildcard Envoy reads literally, the deprecated `google_re2`.
 */
export function envoyRouteConfigurationProblems(rc: RouteConfiguration): string[] {
  const problems: string[] = [];
  const route = `route configuration ${JSON.stringify(rc.name)}`;
  const names = new Map<string, number>();
  const domains = new Map<string, string>();
  const catchAlls: string[] = [];
  for (const [i, vh] of (rc.virtual_hosts ?? []).entries()) {
    const label = vh.name ? `virtual host ${JSON.stringify(vh.name)}` : `virtual host #${i}`;
    if (!vh.name) problems.push(`${route}: ${label} has no name`);
    else names.set(vh.name, (names.get(vh.name) ?? 0) + 1);
    if (!Array.isArray(vh.domains) || vh.domains.length === 0) problems.push(`${route}: ${label} has no domains`);
    for (const domain of vh.domains ?? []) {
      if (/[\0\r\n]/.test(domain)) problems.push(`${route}: ${label}: domain ${JSON.stringify(domain)} holds a control character`);
      const wildcard = wildcardProblem(domain);
      if (wildcard) problems.push(`${route}: ${label}: ${wildcard}`);
      const key = domain.toLowerCase();
      if (key === '*') catchAlls.push(label);
      else if (domains.has(key)) problems.push(`${route}: domain ${JSON.stringify(domain)} is on ${domains.get(key)} and ${label}`);
      else domains.set(key, label);
    }
    for (const { where, matcher } of safeRegexes(vh.routes, `${label}.routes`)) {
      if ('google_re2' in matcher) problems.push(`${route}: ${where} uses the deprecated google_re2`);
      try {
        new RE2(String(matcher.regex ?? ''));
      } catch (e) {
        problems.push(`${route}: ${where}: regex ${JSON.stringify(matcher.regex)} is not RE2: ${(e as Error).message}`);
      }
    }
  }
  if (catchAlls.length > 1) problems.push(`${route}: ${catchAlls.length} virtual hosts match "*" (${catchAlls.join(', ')}); Envoy allows one`);
  for (const [name, count] of names) if (count > 1) problems.push(`${route}: virtual host name ${JSON.stringify(name)} appears ${count} times`);
  return problems;
}

/** The names of the virtual hosts holding the domain `*`. */
export const catchAllHolders = (rc: RouteConfiguration): string[] => rc.virtual_hosts.filter((vh) => vh.domains.includes('*')).map((vh) => vh.name);
