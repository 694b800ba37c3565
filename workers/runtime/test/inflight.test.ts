/**
 * Through the dev broker and the real client:
 *  - an in-flight duplicate is not acked, never reaches the DLQ and is applied 0 extra times;
 *    if the first copy then fails, the waiting copy succeeds (no loss);
 *  - a SQL-injection key is stored verbatim, and `Order-1` / `order-1 ` are two keys.
 */
import { describe, expect, it } from "vitest";
import { eventCounts, rows } from "../../../test/support/deliveries";
import type { LeaseHandler } from "../src/types";
import { createDedupConsumer } from "../src/index";
import { useBrokerTestFile } from "../../../test/support/broker-test-file";
import { sendAll, sleep, startBroker, startProducer, TEST_WORKER, waitUntil } from "../../../test/support/broker-harness";

const ctx = useBrokerTestFile();
const { cleanup } = ctx;

function leaseConsumer(endpoint: string, group: string, topic: string, handler: LeaseHandler, maxInflight = 64) {
  const c = createDedupConsumer({
    group,
    topic,
    mode: "lease",
    handler,
    endpoints: endpoint,
    db: ctx.db.pool,
    maxInflight,
    leaseS: 2,
    workerTimeoutS: 3,
    pollInitialMs: 50,
    pollMaxMs: 200,
    ...TEST_WORKER,
  });
  cleanup.add(() => c.stop());
  return c;
}

describe("in-flight duplicates through the broker", () => {
  it("wait instead of bouncing; when the first copy fails, the waiting copy runs it once", async () => {
    const broker = await startBroker(cleanup, { heartbeatTimeoutS: 3 });
    const topic = "pay-inflight";
    const group = "pay-inflight-g";
    // Few attempts: a copy bounced with FAILURE would burn them and land in the DLQ.
    broker.admin.setGroupPolicy(group, { maxAttempts: 3, initialS: 1, maxS: 2 });
    let firstStarted!: () => void;
    const started = new Promise<void>((r) => (firstStarted = r));
    let failFirst!: () => void;
    const gate = new Promise<void>((r) => (failFirst = r));
    const effects: string[] = [];
    let calls = 0;
    const handler: LeaseHandler = async (m) => {
      if (++calls === 1) {
        firstStarted();
        await gate;
        throw new Error("payment provider timeout");
      }
      effects.push(m.msgId);
    };
    // A holds one message at a time, so while it runs the first copy the second must go to B.
    const a = leaseConsumer(broker.endpoint, group, topic, handler, 1);
    await a.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const body = Buffer.from(JSON.stringify({ orderId: "pay-1", sku: "s", qty: 1, amountCents: 500 }));
    const [first] = await sendAll(producer, topic, [{ key: "pay-1", body }]);
    await started;
    const b = leaseConsumer(broker.endpoint, group, topic, handler);
    await b.start();
    const [second] = await sendAll(producer, topic, [{ key: "pay-1", body }]);
    expect(second).not.toBe(first);

    await waitUntil("second copy sighted as in flight", async () => (await eventCounts(ctx.db.pool, group))["inflight/waiting"] === 1, 15_000);
    await sleep(2_500); // longer than the lease: A's heartbeat keeps it, B keeps waiting
    let s = broker.admin.groupStats(group, topic);
    expect(s.acked).toBe(0);
    expect(s.dlq).toBe(0);
    expect(effects).toEqual([]);

    failFirst();
    await waitUntil("both copies acked", () => broker.admin.groupStats(group, topic).acked === 2, 20_000);
    s = broker.admin.groupStats(group, topic);
    expect(s.dlq).toBe(0);
    expect(effects).toEqual([second]); // the waiting copy did the work, once
    const [claim] = await rows(ctx.db.pool, "SELECT state, first_msg_id, fence FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect(claim).toMatchObject({ state: "DONE", first_msg_id: second });
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["released_on_error/released"]).toBe(1);
    expect(ev["rerun/producer_resend/claimed_after_release"]).toBe(1);
    // The failed first copy came back (attempt 2) and found the key DONE: its msgId was seen
    // before and re-sent after a failure, so a redelivery hit, not a resend.
    expect(ev["duplicate/redelivery/acked_duplicate"]).toBe(1);
    expect(ev["duplicate/producer_resend/acked_duplicate"]).toBeUndefined();
  }, 60_000);

  it("records a message the broker dead-letters after its last failed attempt", async () => {
    const broker = await startBroker(cleanup);
    const topic = "dlq";
    const group = "dlq-g";
    broker.admin.setGroupPolicy(group, { maxAttempts: 2, initialS: 1, maxS: 1 });
    let calls = 0;
    const c = leaseConsumer(broker.endpoint, group, topic, async () => {
      calls++;
      throw new Error("poison message");
    });
    await c.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    await sendAll(producer, topic, [{ key: "poison-1", body: Buffer.from("{}") }]);
    await waitUntil("dead-lettered", () => broker.admin.groupStats(group, topic).dlq === 1, 20_000);
    expect(calls).toBe(2);
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["released_on_error/released"]).toBe(2);
    expect(ev["dead_letter/released"]).toBe(1);
    await c.processor.flushStats();
    const [t] = await rows(ctx.db.pool, "SELECT dead_lettered, releases FROM group_totals WHERE consumer_group = ?", [group]);
    expect([Number(t.dead_lettered), Number(t.releases)]).toEqual([1, 2]);
    expect(await rows(ctx.db.pool, "SELECT id FROM dedup_claim WHERE consumer_group = ?", [group])).toEqual([]);
  }, 30_000);

  it("stores hostile and look-alike keys verbatim, as different keys", async () => {
    const broker = await startBroker(cleanup);
    const topic = "keys";
    const group = "keys-g";
    const seen: string[] = [];
    const c = leaseConsumer(broker.endpoint, group, topic, async (m) => void seen.push(m.key.toString()));
    await c.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    // RocketMQ joins a message's keys with spaces and splits them again, so a key never holds a
    // space (the operator guide says so); hostility comes from quotes, comments and case.
    const evil = "';DELETE/**/FROM/**/dedup_claim/**/WHERE/**/'1'='1";
    const keys = [evil, "Order-1", "order-1", evil];
    for (const key of keys) await sendAll(producer, topic, [{ key, body: Buffer.from(key) }]);
    await waitUntil("all acked", () => broker.admin.groupStats(group, topic).acked === 4);
    expect(seen.sort()).toEqual([evil, "Order-1", "order-1"].sort());
    const stored = await rows(ctx.db.pool, "SELECT dedup_key, key_source FROM dedup_claim WHERE consumer_group = ? ORDER BY dedup_key", [group]);
    expect(stored.map((r) => [(r.dedup_key as Buffer).toString(), r.key_source])).toEqual([[evil, "key"], ["Order-1", "key"], ["order-1", "key"]].sort());
    const [all] = await rows(ctx.db.pool, "SELECT COUNT(*) AS n FROM dedup_claim");
    expect(Number(all.n)).toBeGreaterThanOrEqual(3); // nothing deleted by the "injection"
  }, 30_000);
});
