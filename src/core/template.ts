// Handlebars for dispatch clusters (docs/design.md §5.3) and the templates shipped in templates/. One
// isolated environment: strict (a missing variable is an error, never an empty cluster name), no HTML
// escaping (cluster names hold `|`), no prototype access, and only the helpers documented below, so a
// template that compiles here renders the same on every replica.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT } from '../package.js';

const hbs = Handlebars.create();
// `log` would write to the server's stdout from a user's template.
hbs.unregisterHelper('log');

const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
// What Handlebars' own `if` counts as true.
const truthy = (v: unknown): boolean => !isEmpty(v) && v !== false && v !== 0;
// The last argument of every helper call is Handlebars' options object.
const args = (all: unknown[]): unknown[] => all.slice(0, -1);

/** The helpers a template may use, besides Handlebars' own `if`, `unless`, `each`, `with`, `lookup`. */
export const HELPERS: Record<string, (...all: unknown[]) => unknown> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  not: (a) => !truthy(a),
  and: (...all) => args(all).every(truthy),
  or: (...all) => args(all).find(truthy) ?? args(all).at(-1),
  default: (value, fallback) => (isEmpty(value) ? fallback : value),
  concat: (...all) => args(all).map(String).join(''),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  replace: (s, from, to) => String(s).split(String(from)).join(String(to)),
};
for (const [name, fn] of Object.entries(HELPERS)) hbs.registerHelper(name, fn);

const OPTIONS = {
  strict: true,
  noEscape: true,
  knownHelpersOnly: true,
  knownHelpers: { ...Object.fromEntries(Object.keys(HELPERS).map((h) => [h, true])), log: false, helperMissing: false, blockHelperMissing: false },
} as const;
const RUNTIME = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

export type Rendered = { ok: true; text: string } | { ok: false; error: string };

export interface Template {
  readonly source: string;
  render(context: object): Rendered;
}

// Handlebars compiles lazily, on the first render; precompiling first makes syntax errors and unknown
// helpers show up when the config is read, not when the first fence syncs.
function compile(source: string): Template | string {
  try {
    hbs.precompile(source, OPTIONS);
  } catch (e) {
    return oneLine((e as Error).message);
  }
  const run = hbs.compile(source, OPTIONS);
  return {
    source,
    render(context) {
      let text: string;
      try {
        text = run(context, RUNTIME).trim();
      } catch (e) {
        return { ok: false, error: oneLine((e as Error).message) };
      }
      if (text.includes('[object Object]')) return { ok: false, error: 'renders an object where text is expected' };
      return { ok: true, text };
    },
  };
}

// Handlebars' messages name its internals and draw a caret under the source; a status has one line,
// so each known message is said again with a 1-based line and column.
function oneLine(message: string): string {
  // The excerpt is cut to the last 20 characters, so the caret gives no column: quote what precedes it.
  const parse = /^Parse error on line (\d+):\n(.*)\n(-*)\^\n(.*)$/s.exec(message);
  if (parse) return `parse error on line ${parse[1]} after ${JSON.stringify(parse[2].slice(0, parse[3].length + 1))}: ${parse[4].replace(/\s*\n\s*/g, ' ')}`;
  const helper = /^You specified knownHelpersOnly, but used the unknown helper (\S+) - (\d+):(\d+)$/.exec(message);
  if (helper) return `unknown helper ${JSON.stringify(helper[1])} (line ${helper[2]}, column ${Number(helper[3]) + 1})`;
  const missing = /^("[^"]*") not defined in .* - (\d+):(\d+)$/.exec(message);
  if (missing) return `${missing[1]} is not defined (line ${missing[2]}, column ${Number(missing[3]) + 1})`;
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

// Every fence of a sync storm renders the same few templates: compile each text once.
const compiled = new Map<string, Template | string>();
const MAX_TEMPLATES = 256;

/** The compiled template of a text, or why it does not compile. */
export function compileTemplate(source: string): Template | string {
  let t = compiled.get(source);
  if (t === undefined) {
    t = compile(source);
    if (compiled.size >= MAX_TEMPLATES) compiled.delete(compiled.keys().next().value as string);
    compiled.set(source, t);
  }
  return t;
}

// The project's own templates ship with the code and are read once, when this module loads.
function shipped(name: string): Template {
  const t = compileTemplate(readFileSync(path.join(PACKAGE_ROOT, 'templates', `${name}.hbs`), 'utf8'));
  if (typeof t === 'string') throw new Error(`templates/${name}.hbs: ${t}`);
  return t;
}

/** Render a shipped template whose context the caller guarantees; a failure is a bug, so it throws. */
function renderShipped(t: Template, context: object): string {
  const r = t.render(context);
  if (!r.ok) throw new Error(`templates: ${r.error}`);
  return r.text;
}

const GLOBAL_SIDECAR_HOST = shipped('global-sidecar-host');
const GLOBAL_SIDECAR_CLUSTER = shipped('global-sidecar-cluster');

// Asked on every sync, with a handful of distinct answers in a mesh.
const names = new Map<string, string>();

function remembered(key: string, make: () => string): string {
  let name = names.get(key);
  if (name === undefined) names.set(key, (name = make()));
  return name;
}

export const globalSidecarHostIn = (namespace: string): string =>
  remembered(`host ${namespace}`, () => renderShipped(GLOBAL_SIDECAR_HOST, { namespace }));

export const globalSidecarCluster = (globalSidecar: { port: number; host: string }): string =>
  remembered(`cluster ${globalSidecar.port} ${globalSidecar.host}`, () => renderShipped(GLOBAL_SIDECAR_CLUSTER, { globalSidecar }));
