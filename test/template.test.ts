// Dispatch cluster templates (docs/design.md §5.3): strict, unescaped, no prototype access, a few helpers,
// each text compiled once.
import { describe, expect, it } from 'vitest';
import { type Template, compileTemplate, globalSidecarCluster, globalSidecarHostIn } from '../src/core/template.js';

const context = {
  fence: { name: 'reviews', namespace: 'shop' },
  port: 9080,
  globalSidecar: { namespace: 'mesh-operator', port: 80, host: 'global-sidecar.mesh-operator.svc.cluster.local', cluster: 'outbound|80||global-sidecar.mesh-operator.svc.cluster.local' },
  values: { egress: 'egress.gw', empty: '', zones: { shop: 'eu' } },
};

function compiled(text: string): Template {
  const t = compileTemplate(text);
  if (typeof t === 'string') throw new Error(t);
  return t;
}
const render = (text: string) => compiled(text).render(context);

describe('dispatch cluster templates', () => {
  it('render the fence, port, global sidecar and values of the context', () => {
    expect(render('outbound|{{port}}||{{values.egress}}.{{fence.namespace}}.svc.cluster.local')).toEqual({ ok: true, text: 'outbound|9080||egress.gw.shop.svc.cluster.local' });
    expect(render('{{globalSidecar.cluster}}')).toEqual({ ok: true, text: context.globalSidecar.cluster });
  });

  it('do not HTML-escape', () => {
    expect(render('{{fence.name}}<&>"\'|{{values.egress}}')).toEqual({ ok: true, text: 'reviews<&>"\'|egress.gw' });
  });

  it('fail on a missing variable instead of rendering an empty name', () => {
    expect(render('outbound|{{port}}||{{values.missing}}')).toEqual({ ok: false, error: '"missing" is not defined (line 1, column 22)' });
  });

  it('let lookup and default read an optional value', () => {
    expect(render('{{default (lookup values "missing") "fallback"}}')).toEqual({ ok: true, text: 'fallback' });
    expect(render('{{default values.empty "fallback"}}')).toEqual({ ok: true, text: 'fallback' });
    expect(render('{{lookup values.zones fence.namespace}}')).toEqual({ ok: true, text: 'eu' });
  });

  it('offer the documented helpers', () => {
    expect(render('{{#if (eq fence.namespace "shop")}}a{{else}}b{{/if}}{{#if (ne port 80)}}c{{/if}}')).toEqual({ ok: true, text: 'ac' });
    expect(render('{{#if (and port (not values.empty))}}y{{/if}}{{or values.empty "z"}}')).toEqual({ ok: true, text: 'yz' });
    expect(render('{{concat fence.name "-" port}}|{{upper fence.name}}|{{lower "A.B"}}|{{replace fence.namespace "sh" "st"}}')).toEqual({ ok: true, text: 'reviews-9080|REVIEWS|a.b|stop' });
  });

  it('refuse unknown helpers, and log, when compiled', () => {
    expect(compileTemplate('{{shout fence.name}}')).toBe('unknown helper "shout" (line 1, column 1)');
    expect(compileTemplate('{{log "hello"}}')).toBe('unknown helper "log" (line 1, column 1)');
  });

  it('report a syntax error in one line, quoting the text before it', () => {
    expect(compileTemplate('{{#if port}}x')).toBe(`parse error on line 1 after "{{#if port}}x": Expecting 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF'`);
  });

  it('never reach prototype properties of the values', () => {
    expect(render('[{{values.constructor}}][{{values.__proto__}}]')).toEqual({ ok: true, text: '[][]' });
  });

  it('fail when a value is an object, not text', () => {
    expect(render('{{values.zones}}')).toEqual({ ok: false, error: 'renders an object where text is expected' });
  });

  it('compile each text once', () => {
    expect(compileTemplate('{{port}}-{{fence.name}}')).toBe(compileTemplate('{{port}}-{{fence.name}}'));
  });
});

describe('shipped templates', () => {
  it('name the global sidecar host and cluster', () => {
    const host = globalSidecarHostIn('gs-ns');
    expect(host).toBe('global-sidecar.gs-ns.svc.cluster.local');
    expect(globalSidecarCluster({ port: 80, host })).toBe('outbound|80||global-sidecar.gs-ns.svc.cluster.local');
  });
});
