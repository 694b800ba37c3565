import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/db";
import { createDedupProcessor, type DedupProcessor } from "./processor";
import { redisGuardName } from "./redis-guard";
import { delivery, eventCounts, sleep, uniqueName } from "./test/fixtures";

let db: TestDatabase;
let redis: Redis;
const started: DedupProcessor[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  redis = new Redis("redis://127.0.0.1:6379");
});
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop({ graceMs: 100 })));
  redis.disconnect();
  await db.drop();
});

async function worker(group: string, redisUrl: string, handler = async () => {}) {
  const p = createDedupProcessor({ group, topic: "orders", mode: "transactional", handler, pool: db.pool, redis: redisUrl, registry: false, retentionIntervalS: 0, pollInitialMs: 20, pollMaxMs: 50, leaseS: 5 });
  await p.start();
  started.push(p);
  return p;
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
    expect((await eventCounts(db.pool, group))["inflight/waiting"]).toBe(1);
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
