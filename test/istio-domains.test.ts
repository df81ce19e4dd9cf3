// Domains istiod writes itself for the hosts a fence's Sidecar shows (docs/design.md §5.3): a dispatch
// domain equal to one of them would make Envoy reject the whole route configuration.
import { describe, expect, it } from 'vitest';
import { istioDomainOwners } from '../src/core/istio-domains.js';

const ALWAYS = ['istio-system/*', 'mesh-operator/*'];
const ownersFor = (hosts: string[], namespace = 'shop') => istioDomainOwners([...hosts, ...ALWAYS], namespace);

describe('which dispatch domains Istio may write for a fence', () => {
  const owner = ownersFor(['*/reviews.books.svc.cluster.local']);

  it('finds a listed Kubernetes service by its full name', () => {
    expect(owner('reviews.books.svc.cluster.local')).toEqual({ host: 'reviews.books.svc.cluster.local', egress: '*/reviews.books.svc.cluster.local' });
  });

  it('finds it by the short forms istiod adds for another namespace', () => {
    expect(owner('reviews.books')?.host).toBe('reviews.books.svc.cluster.local');
    expect(owner('reviews.books.svc')?.host).toBe('reviews.books.svc.cluster.local');
  });

  it("takes a bare name for a service of the fence's own namespace only", () => {
    expect(owner('reviews')).toBeUndefined();
    expect(ownersFor(['*/reviews.shop.svc.cluster.local'])('reviews')?.host).toBe('reviews.shop.svc.cluster.local');
  });

  it('finds the *. domains of a headless service', () => {
    expect(owner('*.reviews.books')?.host).toBe('reviews.books.svc.cluster.local');
    expect(owner('*.reviews.books.svc.cluster.local')?.host).toBe('reviews.books.svc.cluster.local');
  });

  it('compares without case and without a port', () => {
    expect(owner('Reviews.Books:9080')?.host).toBe('reviews.books.svc.cluster.local');
  });

  it('counts every service of a namespace the Sidecar lists as ns/*', () => {
    const o = ownersFor(['books/*']);
    expect(o('details.books')).toEqual({ host: 'details.books.svc.cluster.local', egress: 'books/*' });
    expect(o('details.other')).toBeUndefined();
  });

  it('reads ./* as the fence namespace', () => {
    expect(ownersFor(['./*'])('details')).toEqual({ host: 'details.shop.svc.cluster.local', egress: './*' });
  });

  it('sees the namespaces every Sidecar lists', () => {
    expect(ownersFor([])('istiod.istio-system.svc')?.egress).toBe('istio-system/*');
  });

  it('finds a listed external host as it is, and nothing else under it', () => {
    const o = ownersFor(['*/www.example.com']);
    expect(o('WWW.example.com')?.host).toBe('www.example.com');
    expect(o('api.example.com')).toBeUndefined();
    expect(o('*.example.com')).toBeUndefined();
  });

  it('counts every host a wildcard entry could match, a wildcard ServiceEntry host included', () => {
    const o = ownersFor(['*/*.example.com']);
    expect(o('api.example.com')?.egress).toBe('*/*.example.com');
    expect(o('*.example.com')?.egress).toBe('*/*.example.com');
    expect(o('*.api.example.com')?.egress).toBe('*/*.example.com');
    expect(o('example.com')).toBeUndefined();
  });

  it('counts everything as shown by */*', () => {
    expect(ownersFor(['*/*'])('www.163.com')?.egress).toBe('*/*');
  });

  it('never matches a prefix wildcard, which istiod does not write', () => {
    expect(ownersFor(['*/*'])('reviews.*')).toBeUndefined();
  });

  it('leaves hosts outside what the Sidecar shows alone', () => {
    expect(owner('www.163.com')).toBeUndefined();
    expect(owner('*.sohu.com')).toBeUndefined();
  });
});
