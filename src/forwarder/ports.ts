// The forwarder's port list: the `cfg` key of the global sidecar's ConfigMap (docs/design.md §6), mounted
// as a file, `wormholePorts: [80, 9080]`. Slime's proxy read the same key, so its ConfigMaps work.

import { load } from 'js-yaml';

export type PortsFile = { ok: true; ports: number[] } | { ok: false; message: string };

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

export function parsePortsFile(text: string): PortsFile {
  if (text.trim() === '') return { ok: false, message: 'the file is empty' };
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    return { ok: false, message: `not YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  const list = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).wormholePorts : undefined;
  if (list === null || list === undefined) return { ok: false, message: 'no wormholePorts list' };
  if (!Array.isArray(list)) return { ok: false, message: 'wormholePorts is not a list' };
  const ports = new Set<number>();
  for (const [i, v] of list.entries()) {
    // Slime's LazyloadConfig writes ports as strings; both forms mean the same port.
    const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !isPort(n)) return { ok: false, message: `wormholePorts[${i}]: ${JSON.stringify(v)} is not a port (1-65535)` };
    ports.add(n);
  }
  return { ok: true, ports: [...ports].sort((a, b) => a - b) };
}
