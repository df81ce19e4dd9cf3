// A fixed corpus of random RE2 patterns (fast-check, fixed seed), for record.mjs: the pieces host patterns
// are made of, nested at random, with the shapes RE2 rewrites before compiling (alternatives sharing a
// prefix, neighbouring repetitions, repetitions of repetitions, assertions, case folding, Unicode).
import fc from 'fast-check';

const atoms = [
  'a', 'b', 'ab', 'abc', 'ac', 'ba', 'k', 'x', '-', '\\.', 'é', '日', '\\x{212A}', '\\x{1F600}',
  '.', '(?s).', '\\C', '[ab]', '[a-c]', '[^a]', '[a-z]', '[^a-z]', '[a-z0-9-]', '[A-Za-z]', '\\d', '\\w', '\\s', '\\W',
  '[^.]', '[[:alpha:]]', '[\\x{100}-\\x{7FF}]', '[é-ü]', '[\\x{100}-\\x{2FFF}]',
  '\\pL', '\\p{Greek}', '\\PN', '\\p{Lu}', '(?i:é)', '(?i:k)', '(?i:ab)',
  '^', '$', '\\A', '\\z', '\\b', '\\B', '(?m:^)', '(?m:$)', '(?:)', '(a)',
];
const repeats = ['*', '+', '?', '*?', '+?', '??', '{2}', '{3}', '{0,1}', '{0,2}', '{1,3}', '{2,}', '{3,7}', '{0,12}'];

const { node } = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...atoms),
    fc.tuple(fc.constantFrom(...atoms), fc.constantFrom(...repeats)).map(([x, op]) => `${x.length > 1 && !x.startsWith('\\') && !x.startsWith('[') ? `(?:${x})` : x}${op}`),
    fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((xs) => xs.join('')),
    fc.tuple(fc.constantFrom('(?:', '(', '(?i:', '(?s:', '(?P<g>'), fc.array(tie('node'), { minLength: 1, maxLength: 4 })).map(([open, xs]) => `${open}${xs.join('|')})`),
    fc.tuple(tie('node'), fc.constantFrom(...repeats)).map(([x, op]) => `(?:${x})${op}`),
  ),
}));

export default function generate() {
  const seen = new Set();
  for (const pattern of fc.sample(node, { seed: 20240702, numRuns: 3000 })) {
    if (!pattern.includes('\n')) seen.add(pattern);
    if (seen.size === 1200) break;
  }
  return [...seen];
}
