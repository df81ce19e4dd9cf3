// One definition of a percentile and of a printed figure for every benchmark, so that their tables compare.

/** Nearest rank, no interpolation: with few samples a reported value is one that was measured. */
export function quantile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export const median = (xs: number[]): number => quantile(xs, 0.5);

/** A figure for a table: `digits` decimals, no thousands separators. */
export const fixed = (n: number, digits = 1): string => n.toFixed(digits);
