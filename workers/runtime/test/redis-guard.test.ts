import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useProcessorTestFile } from "../../../test/support/processors";
import { redisGuardName } from "../src/claim/redis-guard";
import { delivery, eventCounts, sleep, uniqueName } from "../../../test/support/deliveries";

const ctx = useProcessorTestFile();
let redis: Redis;
beforeAll(() => {
  redis = new Redis("redis://127.0.0.1:6379");
});
afterAll(() => {
  redis.disconnect();
});

async function worker(group: string, redisUrl: string, handler = async () => {}) {
  return ctx.start({ group, topic: "orders", mode: "transactional", handler, pool: ctx.db.pool, redis: redisUrl, registry: false, retentionIntervalS: 0, pollInitialMs: 20, pollMaxMs: 50, leaseS: 5 });
}

describe("redis fast path", () => {
  it("makes a delivery wait while another owner token holds the key, and never acks from Redis alone", async () => {
    const group = uniqueName("r");
    let runs = 0;
    const w = await worker(group, "redis://127.0.0.1:6379", async () => void runs++);
    const name = redisGuardName(group, "orders", "", Buffer.from("k-1"));
    await redis.set(name, "someone-else", "PX", 10_000);
    let done = false;
    const p = w.process(delivery({ key: "k-1" })).finally(() => (done = true));
    await sleep(300);
    expect(done).toBe(false);
    expect(runs).toBe(0);
    await redis.del(name);
    expect(await p).toEqual({ ack: true, outcome: "committed" });
    expect(runs).toBe(1);
    expect(await redis.get(name)).toBeNull(); // released after the commit
    expect((await eventCounts(ctx.db.pool, group))["inflight/waiting"]).toBe(1);
  });

  it("falls back to MariaDB only when Redis is down: still exactly once", async () => {
    const group = uniqueName("r");
    let runs = 0;
    const w = await worker(group, "redis://127.0.0.1:1", async () => void runs++);
    const d = delivery({ key: "k-2" });
    expect(await w.process(d)).toEqual({ ack: true, outcome: "committed" });
    expect(await w.process({ ...d, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "duplicate" });
    expect(runs).toBe(1);
  });
});
