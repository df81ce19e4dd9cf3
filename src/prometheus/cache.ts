// Answers kept for one refresh interval. The promise is stored as the query starts, so every sync
// that arrives while it is in flight shares it (single flight) instead of sending its own.

export interface Cached<T> {
  value: Promise<T>;
  hit: boolean;
  /** When the entry stops being served, on the cache's clock. */
  expiresAt: number;
}

export class RefreshCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  private sweepAt = 1_024;

  /** `clock` is monotonic milliseconds (performance.now in the server, a counter in tests). */
  constructor(private readonly clock: () => number) {}

  /** `ttlMs` is read at every call, so a new refreshSeconds applies to answers already cached. */
  get(key: string, ttlMs: number, load: () => Promise<T>): Cached<T> {
    const now = this.clock();
    const entry = this.entries.get(key);
    if (entry && now - entry.at < ttlMs) return { value: entry.value, hit: true, expiresAt: entry.at + ttlMs };
    const value = load();
    this.entries.set(key, { at: now, value });
    if (this.entries.size >= this.sweepAt) this.sweep(now, ttlMs);
    return { value, hit: false, expiresAt: now + ttlMs };
  }

  // Per-fence entries of fences that were deleted would otherwise stay forever.
  private sweep(now: number, ttlMs: number): void {
    for (const [key, e] of this.entries) if (now - e.at >= ttlMs) this.entries.delete(key);
    this.sweepAt = Math.max(1_024, this.entries.size * 2);
  }
}
