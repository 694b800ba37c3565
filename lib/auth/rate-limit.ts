/**
 * Login rate limit: failed attempts per key in a sliding window. In process memory — enough for
 * the one dashboard process `npm start` runs; several replicas would each allow `max` attempts.
 */
export interface RateLimiter {
  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfterS(key: string, now?: number): number;
  recordFailure(key: string, now?: number): void;
  reset(key: string): void;
}

export function createRateLimiter(opts: { max: number; windowS: number; maxKeys?: number }): RateLimiter {
  const failures = new Map<string, number[]>();
  const windowMs = opts.windowS * 1000;
  const maxKeys = opts.maxKeys ?? 10_000;

  const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((t) => now - t < windowMs);

  return {
    retryAfterS(key, now = Date.now()) {
      const times = recent(key, now);
      if (times.length < opts.max) return 0;
      return Math.max(1, Math.ceil((times[times.length - opts.max] + windowMs - now) / 1000));
    },
    recordFailure(key, now = Date.now()) {
      // A flood of distinct keys must not grow memory without bound: drop the oldest key.
      if (!failures.has(key) && failures.size >= maxKeys) failures.delete(failures.keys().next().value as string);
      failures.set(key, [...recent(key, now), now]);
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
