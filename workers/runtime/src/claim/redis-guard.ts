/**
 * Optional Redis fast path: an in-flight guard (SET NX PX, value = the owner token) in front of
 * MariaDB, so a duplicate of a key being worked on elsewhere waits here instead of queueing on a
 * row lock. Redis can only make a delivery wait — it never acks one; MariaDB stays the source of
 * truth. Redis errors or outages degrade to MariaDB only (logged once per interval), never to
 * "no dedup".
 *
 * ioredis is an optional peer dependency: it is loaded only when the fast path is switched on.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";

export type GuardResult = "acquired" | "held" | "unavailable";

export interface RedisGuard {
  /** Resolves once the client is loaded; rejects when ioredis is not installed. */
  ready(): Promise<void>;
  acquire(name: string, token: string, ttlMs: number): Promise<GuardResult>;
  /** Delete only if the value is still our token (compare-and-delete). */
  release(name: string, token: string): Promise<void>;
  close(): Promise<void>;
}

const RELEASE_LUA = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export function redisGuardName(group: string, topic: string, tag: string, key: Buffer): string {
  return `dedup:inflight:${group}:${topic}:${Buffer.from(tag, "utf8").toString("hex")}:${key.toString("hex")}`;
}

export function createRedisGuard(url: string, log: Logger, logIntervalMs = 10_000): RedisGuard {
  const client: Promise<Redis> = import("ioredis").then(
    ({ Redis: RedisClient }) => {
      const redis = new RedisClient(url, {
        lazyConnect: false,
        // Fail fast while Redis is away instead of queueing commands: the caller falls back to MariaDB.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        enableAutoPipelining: true,
        retryStrategy: (times: number) => Math.min(times * 200, 2_000),
      });
      redis.on("error", (err: unknown) => noteDown(err));
      return redis;
    },
    (err: unknown) => {
      throw new Error("the Redis fast path needs the ioredis package: npm install ioredis", { cause: err });
    },
  );
  client.catch(() => {}); // surfaced by ready(); acquire() meanwhile degrades to MariaDB only
  let lastLogAt = 0;

  function noteDown(err: unknown): void {
    const now = Date.now();
    if (now - lastLogAt >= logIntervalMs) {
      lastLogAt = now;
      log.warn({ err }, "redis fast path unavailable: using MariaDB only");
    }
  }

  return {
    ready: async () => void (await client),
    async acquire(name, token, ttlMs) {
      try {
        const redis = await client;
        const r = await redis.set(name, token, "PX", Math.max(1, Math.round(ttlMs)), "NX");
        if (r === "OK") return "acquired";
        // Our own token (a retry after a lost reply) counts as ours.
        return (await redis.get(name)) === token ? "acquired" : "held";
      } catch (err) {
        noteDown(err);
        return "unavailable";
      }
    },
    async release(name, token) {
      try {
        const redis = await client;
        await redis.eval(RELEASE_LUA, 1, name, token);
      } catch (err) {
        noteDown(err); // the PX expiry cleans up
      }
    },
    async close() {
      (await client.catch(() => undefined))?.disconnect();
    },
  };
}
