/**
 * Login rate limit: attempts per key in a sliding window, shared by every dashboard process
 * through Redis (a sorted set per key, scored by attempt time), with an in-process limiter as
 * the fallback while Redis is unreachable — never "unlimited", never an error to the caller.
 *
 * An attempt is counted *before* the password is checked (atomically against all its keys), and
 * forgiven when it succeeds: concurrent guesses from several processes cannot slip past the limit
 * while their scrypt runs. So what stays counted is failures (and attempts still in flight).
 */
import { createHash } from "node:crypto";
import type net from "node:net";
import { Redis } from "ioredis";
import type { Logger } from "../log";

export interface Limit {
  key: string;
  max: number;
  windowS: number;
}

export interface RateLimiter {
  /**
   * When every limit has room: count attempt `id` against each and return 0. Otherwise count
   * nothing and return the seconds until the fullest limit has room again.
   */
  tryAttempt(limits: Limit[], id: string, now?: number): Promise<number>;
  /** Attempt `id` succeeded: it no longer counts against these keys. */
  forgive(keys: string[], id: string): Promise<void>;
  /** Forget every attempt counted against these keys. */
  clear(keys: string[]): Promise<void>;
  /** Attempts counted against `key` within the last `windowS` seconds. */
  count(key: string, windowS: number, now?: number): Promise<number>;
  close(): Promise<void>;
}

const secondsUntil = (waitMs: number) => (waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0);

/** In process memory: what one process alone can enforce. */
export function createMemoryRateLimiter(opts: { maxKeys?: number } = {}): RateLimiter {
  const attempts = new Map<string, { at: number; id: string }[]>();
  const maxKeys = opts.maxKeys ?? 10_000;
  const recent = (key: string, windowMs: number, now: number) => (attempts.get(key) ?? []).filter((a) => now - a.at < windowMs);

  return {
    async tryAttempt(limits, id, now = Date.now()) {
      let waitMs = 0;
      for (const l of limits) {
        const windowMs = l.windowS * 1000;
        const times = recent(l.key, windowMs, now);
        if (times.length >= l.max) waitMs = Math.max(waitMs, times[times.length - l.max].at + windowMs - now);
      }
      if (waitMs > 0) return secondsUntil(waitMs);
      for (const l of limits) {
        // A flood of distinct keys must not grow memory without bound: drop the oldest key.
        if (!attempts.has(l.key) && attempts.size >= maxKeys) attempts.delete(attempts.keys().next().value as string);
        attempts.set(l.key, [...recent(l.key, l.windowS * 1000, now), { at: now, id }]);
      }
      return 0;
    },
    async forgive(keys, id) {
      for (const key of keys) {
        const left = (attempts.get(key) ?? []).filter((a) => a.id !== id);
        if (left.length > 0) attempts.set(key, left);
        else attempts.delete(key);
      }
    },
    async clear(keys) {
      for (const key of keys) attempts.delete(key);
    },
    async count(key, windowS, now = Date.now()) {
      return recent(key, windowS * 1000, now).length;
    },
    async close() {},
  };
}

/**
 * KEYS: one sorted set per limit. ARGV: now (ms), attempt id, then max and window (ms) per key.
 * Returns 0 (counted everywhere) or the milliseconds to wait (nothing counted).
 */
const TRY_ATTEMPT_LUA = `
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, #KEYS do
  local max = tonumber(ARGV[1 + 2 * i])
  local win = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)
  local n = redis.call('ZCARD', KEYS[i])
  if n >= max then
    local oldest = redis.call('ZRANGE', KEYS[i], n - max, n - max, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + win - now)
  end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[i], ARGV[2 + 2 * i])
end
return 0`;

export interface SharedRateLimiterOptions {
  url: string;
  /** Namespace of this deployment's keys, e.g. `dedup_audit:login:<database>:`. */
  prefix: string;
  log: Logger;
  /** Used while Redis is unreachable (default: a fresh in-process limiter). */
  fallback?: RateLimiter;
  logIntervalMs?: number;
  /** Least time between two connection attempts while Redis is down. */
  reconnectMs?: number;
  /** Longest a limiter call waits for Redis before it falls back. */
  commandTimeoutMs?: number;
}

/**
 * Shared through Redis. Attempt times are this process's clock: dashboard processes are assumed
 * to agree within seconds, which is far below the 15-minute window.
 */
export function createSharedRateLimiter(opts: SharedRateLimiterOptions): RateLimiter {
  const fallback = opts.fallback ?? createMemoryRateLimiter();
  const logIntervalMs = opts.logIntervalMs ?? 60_000;
  const reconnectMs = opts.reconnectMs ?? 2_000;
  // Reconnection is driven by use (see connection()), not by ioredis timers, and the socket is
  // unref'd: a script that signs in once can still exit on its own, even with Redis down.
  const redis = new Redis(opts.url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    commandTimeout: opts.commandTimeoutMs ?? 500,
  });
  redis.on("connect", () => (redis as unknown as { stream?: net.Socket }).stream?.unref());
  redis.on("error", (err) => noteDown(err));
  let lastLogAt = -Infinity;
  let lastConnectAt = -Infinity;
  let closed = false;

  function noteDown(err: unknown): void {
    const now = Date.now();
    if (now - lastLogAt >= logIntervalMs) {
      lastLogAt = now;
      opts.log.warn({ err }, "redis unreachable: login rate limit is per process until it is back");
    }
  }

  /** The client if it is connected or may try to connect now, else undefined (use the fallback). */
  function connection(): Redis | undefined {
    if (closed) return undefined;
    if (redis.status === "wait" || redis.status === "end") {
      if (Date.now() - lastConnectAt < reconnectMs) return undefined;
      lastConnectAt = Date.now();
      // Commands sent while connecting wait in ioredis's offline queue (bounded by commandTimeout).
      redis.connect().catch(noteDown);
    }
    return redis;
  }

  // Keys hold emails and addresses: store a digest, so Redis holds no personal data and keys stay short.
  const redisKey = (key: string) => opts.prefix + createHash("sha256").update(key).digest("base64url");

  /** Run `op` on Redis; on any Redis failure (or while it is down) run `orElse` instead. */
  async function withRedis<T>(op: (r: Redis) => Promise<T>, orElse: () => Promise<T>): Promise<T> {
    const r = connection();
    if (!r) return orElse();
    try {
      return await op(r);
    } catch (err) {
      noteDown(err);
      return orElse();
    }
  }

  return {
    tryAttempt(limits, id, now = Date.now()) {
      return withRedis(
        async (r) => {
          const args = limits.flatMap((l) => [l.max, Math.round(l.windowS * 1000)]);
          const waitMs = Number(await r.eval(TRY_ATTEMPT_LUA, limits.length, ...limits.map((l) => redisKey(l.key)), now, id, ...args));
          return secondsUntil(waitMs);
        },
        () => fallback.tryAttempt(limits, id, now),
      );
    },
    async forgive(keys, id) {
      // Also in the fallback: the attempt may have been counted there during an outage.
      await fallback.forgive(keys, id);
      await withRedis(
        async (r) => void (await Promise.all(keys.map((k) => r.zrem(redisKey(k), id)))),
        async () => undefined, // not forgiven: it expires with its window, like a failure
      );
    },
    async clear(keys) {
      await fallback.clear(keys);
      if (keys.length === 0) return;
      await withRedis(
        async (r) => void (await r.del(...keys.map(redisKey))),
        async () => undefined,
      );
    },
    count(key, windowS, now = Date.now()) {
      return withRedis(
        async (r) => r.zcount(redisKey(key), `(${now - windowS * 1000}`, "+inf"),
        () => fallback.count(key, windowS, now),
      );
    },
    async close() {
      closed = true;
      redis.disconnect();
      await fallback.close();
    },
  };
}
