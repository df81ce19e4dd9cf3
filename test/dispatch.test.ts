// Dispatches (docs/design.md §3, §5.3): every rule Envoy enforces on a whole route configuration is checked
// when the config is read, so a bad dispatch is left out alone and named, never taking a port down.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/core/config.js';
import { resolveDispatches } from '../src/core/dispatch.js';
import { globalSidecarIn } from '../src/core/globalsidecar.js';

const read = (dispatches: unknown[]) => {
  const { config, errors } = parseConfig({ dispatches });
  return { names: config.dispatches.map((d) => d.name || d.domainRegex), errors };
};
const good = { name: 'ext', domains: ['www.example.com'], cluster: 'PassthroughCluster' };

describe('reading dispatches', () => {
  it('keeps good dispatches in config order, a missing cluster meaning the global sidecar', () => {
    const { config, errors } = parseConfig({ dispatches: [good, { name: 'short', domainRegex: '^[^.]+$' }] });
    expect(errors).toEqual([]);
    expect(config.dispatches.map((d) => [d.field, d.name, d.cluster.kind])).toEqual([
      ['spec.dispatches[0]', 'ext', 'passthrough'],
      ['spec.dispatches[1]', 'short', 'globalSidecar'],
    ]);
  });

  it('leaves out a dispatch with domain "*", which would collide with allow_all', () => {
    expect(read([good, { name: 'all', domains: ['a.com', '*'], cluster: 'PassthroughCluster' }])).toEqual({
      names: ['ext'],
      errors: [{ field: 'spec.dispatches[1].domains[1]', message: 'dispatch "all" left out: domain "*" collides with allow_all, the catch-all lazyload writes; to send unknown calls to PassthroughCluster use passthroughByDefault' }],
    });
  });

  it('leaves out a domainRegex RE2 rejects', () => {
    const { names, errors } = read([{ name: 'look', domainRegex: '(?=ahead)x' }, good]);
    expect(names).toEqual(['ext']);
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('spec.dispatches[0].domainRegex');
    expect(errors[0].message).toMatch(/^dispatch "look" left out: domainRegex is not a valid RE2 pattern: /);
  });

  it("leaves out a domainRegex whose RE2 program is over the limit of Istio's proxy", () => {
    const labels = '^[^.]{1,1000}\\.[^.]{1,1000}\\.[^.]{1,1000}\\.[^.]{1,641}$'; // RE2: 32770 instructions
    expect(read([{ name: 'big', domainRegex: labels }, good])).toEqual({
      names: ['ext'],
      errors: [
        {
          field: 'spec.dispatches[0].domainRegex',
          message:
            'dispatch "big" left out: domainRegex is too large: RE2 compiles it to a program of about 32770 instructions, ' +
            "over the limit of 32768 Istio's proxy allows (re2.max_program_size.error_level)",
        },
      ],
    });
  });

  it('keeps a domainRegex whose RE2 program just fits the limit', () => {
    const labels = '^[^.]{1,1000}\\.[^.]{1,1000}\\.[^.]{1,1000}\\.[^.]{1,640}$'; // RE2: 32761 instructions
    expect(read([{ name: 'fits', domainRegex: labels }])).toEqual({ names: ['fits'], errors: [] });
  });

  it('leaves out a domainRegex the re2 package accepts only by rewriting JavaScript syntax Envoy refuses', () => {
    expect(read([{ name: 'js', domainRegex: '^\\u0061pi\\.example\\.com$' }]).errors).toEqual([
      { field: 'spec.dispatches[0].domainRegex', message: 'dispatch "js" left out: domainRegex is not a valid RE2 pattern: invalid escape sequence: \\u' },
    ]);
  });

  it('leaves out a domainRegex it cannot size, rather than risk the route configuration', () => {
    const deep = '('.repeat(5000) + 'a' + ')'.repeat(5000); // RE2 takes it; lazyload's parser runs out of stack
    expect(read([{ name: 'deep', domainRegex: deep }]).errors).toEqual([
      {
        field: 'spec.dispatches[0].domainRegex',
        message:
          'dispatch "deep" left out: domainRegex is not sizable: it nests too deeply for lazyload to size, so it may be over ' +
          "the RE2 program size limit of 32768 Istio's proxy allows (re2.max_program_size.error_level)",
      },
    ]);
  });

  it('leaves out a cluster template that does not compile', () => {
    const { names, errors } = read([{ name: 'broken', domains: ['b.com'], cluster: 'outbound|{{port||x' }]);
    expect(names).toEqual([]);
    expect(errors[0].field).toBe('spec.dispatches[0].cluster');
    expect(errors[0].message).toMatch(/^dispatch "broken" left out: cluster template does not compile: parse error on line 1 after "outbound\|{{port\|"/);
  });

  it('leaves out the second of two dispatches routing the same domain', () => {
    expect(read([good, { name: 'again', domains: ['other.com', 'www.example.com'] }]).errors).toEqual([
      { field: 'spec.dispatches[1].domains', message: 'dispatch "again" left out: domain "www.example.com" is already routed by spec.dispatches[0] (ext); Envoy would reject the whole route configuration' },
    ]);
  });

  it('leaves out the second of two dispatches with the same name', () => {
    expect(read([good, { ...good, domains: ['other.com'] }]).errors).toEqual([
      { field: 'spec.dispatches[1].name', message: 'dispatch "ext" left out: the name is taken by spec.dispatches[0] (ext); Envoy would reject the whole route configuration' },
    ]);
  });

  it('leaves out a virtual-host dispatch without a name, domains, or with a reserved name', () => {
    const { names, errors } = read([{ domains: ['a.com'] }, { name: 'none' }, { name: 'allow_all', domains: ['c.com'] }]);
    expect(names).toEqual([]);
    expect(errors.map((e) => e.field)).toEqual(['spec.dispatches[0].name', 'spec.dispatches[1].domains', 'spec.dispatches[2].name']);
  });

  it('leaves out a name with ":", the form of the names Istio gives its own virtual hosts', () => {
    expect(read([{ name: 'reviews:9080', domains: ['r.example.com'] }, good])).toEqual({
      names: ['ext'],
      errors: [
        {
          field: 'spec.dispatches[0].name',
          message: 'dispatch "reviews:9080" left out: a name with ":" can be the name of a virtual host Istio writes (<host>:<port>); Envoy would reject the whole route configuration',
        },
      ],
    });
  });

  it('keeps a wildcard that is one "*" at the start or at the end of a domain', () => {
    expect(read([{ name: 'w', domains: ['*.example.com', '*-bar.example.com', 'example.*', 'example-*'] }])).toEqual({ names: ['w'], errors: [] });
  });

  it.each(['a*b.example.com', '**', '*.*', '*.example.*', 'e*x'])('leaves out domain %j, whose "*" Envoy takes literally', (domain) => {
    const { names, errors } = read([{ name: 'w', domains: ['ok.example.com', domain] }, good]);
    expect(names).toEqual(['ext']);
    expect(errors).toEqual([
      {
        field: 'spec.dispatches[0].domains[1]',
        message: `dispatch "w" left out: domain ${JSON.stringify(domain)} puts "*" where Envoy takes it literally, so it would never match: a wildcard is one "*" at the start (*.example.com) or at the end (example.*)`,
      },
    ]);
  });

  it('leaves out a domain with a line break, which makes Envoy reject the route configuration', () => {
    expect(read([{ name: 'nl', domains: ['a.com\nb.com'] }]).errors).toEqual([
      { field: 'spec.dispatches[0].domains[0]', message: 'dispatch "nl" left out: domain "a.com\\nb.com" holds a NUL, CR or LF; Envoy would reject the whole route configuration' },
    ]);
  });

  it('routes a domain listed twice in one dispatch once, whatever its case', () => {
    const { config } = parseConfig({ dispatches: [{ name: 'dup', domains: ['a.com', 'A.com', 'b.com'] }] });
    expect(config.dispatches[0].domains).toEqual(['A.com', 'b.com']);
  });

  it('compares domains across dispatches without case, as Envoy does', () => {
    expect(read([good, { name: 'shout', domains: ['WWW.example.com'] }]).names).toEqual(['ext']);
  });

  it('reports a proxyVersion RE2 rejects and applies the patches to every proxy', () => {
    const { config, errors } = parseConfig({ proxyVersion: '^1.2(' });
    expect(config.proxyVersion).toBeUndefined();
    expect(errors).toEqual([{ field: 'spec.proxyVersion', message: expect.stringMatching(/^not a valid RE2 pattern: .*; ignored, so the patches apply to every proxy version$/) }]);
  });
});

describe('resolving dispatch clusters for a fence', () => {
  const gs = globalSidecarIn('mesh-operator', 80);
  const contexts = [9080, 80].map((port) => ({ fence: { name: 'web', namespace: 'shop' }, port, globalSidecar: gs, values: { gw: 'egress' } }));

  it('renders a template once per port', () => {
    const { config } = parseConfig({ dispatches: [{ name: 'gw', domains: ['x.com'], cluster: 'outbound|{{port}}||{{values.gw}}.{{fence.namespace}}' }] });
    const { resolved, issues } = resolveDispatches(config.dispatches, contexts);
    expect(issues).toEqual([]);
    expect(resolved[0].clusters).toEqual([
      { kind: 'cluster', name: 'outbound|9080||egress.shop' },
      { kind: 'cluster', name: 'outbound|80||egress.shop' },
    ]);
  });

  it('leaves a dispatch out on every port when its template fails on one', () => {
    const { config } = parseConfig({
      dispatches: [{ name: 'odd', domains: ['x.com'], cluster: '{{#if (eq port 80)}}{{values.nope}}{{else}}ok{{/if}}' }, good],
    });
    const { resolved, issues } = resolveDispatches(config.dispatches, contexts);
    expect(resolved.map((r) => r.dispatch.name)).toEqual(['ext']);
    expect(issues).toEqual([{ field: 'spec.dispatches[0].cluster', message: 'dispatch "odd" left out: cluster template fails for port 80: "nope" is not defined (line 1, column 23)' }]);
  });

  it('refuses a template that renders nothing or white space', () => {
    const { config } = parseConfig({ dispatches: [{ name: 'empty', domains: ['x.com'], cluster: '{{values.gw.length}}{{#if false}}x{{/if}} ' }, { name: 'spaced', domains: ['y.com'], cluster: 'a {{port}}' }] });
    const { issues } = resolveDispatches(config.dispatches, contexts);
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringContaining('left out'),
      'dispatch "spaced" left out: cluster template fails for port 9080: renders "a 9080", which holds white space',
    ]);
  });
});
