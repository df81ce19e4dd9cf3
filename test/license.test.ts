// The LICENSE file must be the licence package.json declares, word for word: a registry, a scanner
// or a user reads one or the other, and both must say the same.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The terms of each licence we might declare, from its title to its last line, with whitespace
 * runs folded to one space (copies differ in indentation and line ends, never in words).
 */
const KNOWN: Record<string, { title: string; last: string; sha256: string }> = {
  'Apache-2.0': {
    title: 'Apache License',
    last: 'END OF TERMS AND CONDITIONS',
    // The text apache.org publishes at https://www.apache.org/licenses/LICENSE-2.0.txt
    sha256: '59d8f0ba87ad9a2f1a431123c8d16646e5b89ba53653e818f16d136d77263c99',
  },
};

const termsOf = (text: string, title: string, last: string): string => {
  const start = text.indexOf(title);
  const end = text.indexOf(last);
  return start < 0 || end < 0 ? '' : text.slice(start, end + last.length).replace(/\s+/g, ' ');
};

describe('LICENSE', () => {
  it('holds the unmodified terms of the licence package.json names', () => {
    const { license } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { license: string };
    const known = KNOWN[license];
    expect(known, `no known text for the licence ${license}`).toBeDefined();
    const terms = termsOf(readFileSync(new URL('../LICENSE', import.meta.url), 'utf8'), known.title, known.last);
    expect(createHash('sha256').update(terms).digest('hex')).toBe(known.sha256);
  });
});
