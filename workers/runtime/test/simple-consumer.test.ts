/**
 * createDedupSimpleConsumer() through the dev broker and the real SimpleConsumer: effects once
 * per key under producer resends; a message held longer than its invisible time (a slow handler,
 * a copy waiting for it) is renewed and never handed to another worker; a failure comes back
 * after a real delay with attempt + 1; stop() answers everything it holds and deregisters.
 */
import { describe, expect, it } from "vitest";
import { eventCounts, rows } from "../../../test/support/deliveries";
import type { LeaseHandler } from "../src/types";
import { createDedupSimpleConsumer, type DedupSimpleConsumerOptions } from "../src/index";
import { useBrokerTestFile } from "../../../test/support/broker-test-file";
import { sendAll, sleep, startBroker, startProducer, TEST_WORKER, waitUntil } from "../../../test/support/broker-harness";

const ctx = useBrokerTestFile({
  prepare: (db) => db.pool.query("CREATE TABLE simple_effect (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_key VARBINARY(512) NOT NULL)"),
});
const { cleanup } = ctx;

type Extra = Omit<DedupSimpleConsumerOptions, "group" | "topic" | "mode" | "handler" | "batchHandler">;

function simpleConsumer(endpoint: string, group: string, topic: string, mode: { mode: "lease"; handler: LeaseHandler } | { mode: "transactional"; handler: NonNullable<Extract<DedupSimpleConsumerOptions, { mode: "transactional"; handler: unknown }>["handler"]> }, extra: Extra = {}) {
  const c = createDedupSimpleConsumer({
    group,
    topic,
    ...mode,
    endpoints: endpoint,
    db: ctx.db.pool,
    awaitS: 0.5,
    leaseS: 5,
    pollInitialMs: 50,
    pollMaxMs: 200,
    ...TEST_WORKER,
    ...extra,
  } as DedupSimpleConsumerOptions);
  cleanup.add(() => c.stop());
  return c;
}

/** A lease handler that takes `ms`, records the msgIds it ran, and says when the first run started. */
function slowHandler(ms: number) {
  const runs: string[] = [];
  let firstStarted!: () => void;
  const started = new Promise<void>((r) => (firstStarted = r));
  const handler: LeaseHandler = async (m) => {
    firstStarted();
    await sleep(ms);
    runs.push(m.msgId);
  };
  return { handler, runs, started };
}

describe("dedup on a SimpleConsumer", () => {
  it("applies each of 400 orders once over 2 workers under 25% producer resends, acks every copy, and deregisters on stop", async () => {
    const broker = await startBroker(cleanup);
    const topic = "simple-orders";
    const group = "simple-orders-g";
    const handler = async (m: { key: Buffer }, { tx }: { tx: { query(sql: string, p: unknown[]): Promise<unknown> } }) => void (await tx.query("INSERT INTO simple_effect (order_key) VALUES (?)", [m.key]));
    const workers = [0, 1].map(() => simpleConsumer(broker.endpoint, group, topic, { mode: "transactional", handler }, { maxInflight: 32 }));
    await Promise.all(workers.map((w) => w.start()));
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const items = Array.from({ length: 400 }, (_, i) => ({ key: `simple-${i}`, body: Buffer.from(`order ${i}`) }));
    const resends = items.filter((_, i) => i % 4 === 0);
    await sendAll(producer, topic, [...items, ...resends]);

    const sent = items.length + resends.length;
    await waitUntil("every copy acked", () => broker.admin.groupStats(group, topic).acked === sent, 30_000);
    const effects = await rows(ctx.db.pool, "SELECT order_key, COUNT(*) AS n FROM simple_effect GROUP BY order_key");
    expect(effects.length).toBe(items.length);
    expect(effects.every((e) => Number(e.n) === 1)).toBe(true);
    await waitUntil("resends recorded", async () => (await eventCounts(ctx.db.pool, group))["duplicate/producer_resend/acked_duplicate"] === resends.length, 10_000);
    expect(broker.admin.groupStats(group, topic)).toMatchObject({ dlq: 0, inflight: 0 });

    await Promise.all(workers.map((w) => w.stop()));
    const members = await rows(ctx.db.pool, "SELECT state FROM worker_instance WHERE consumer_group = ?", [group]);
    expect(members.map((m) => m.state)).toEqual(["left", "left"]);
    const [leaves] = await rows(ctx.db.pool, "SELECT COUNT(*) AS n FROM rebalance_event WHERE consumer_group = ? AND kind = 'leave'", [group]);
    expect(Number(leaves.n)).toBe(2);
    const [totals] = await rows(ctx.db.pool, "SELECT consumed, commits, dup_producer_resend FROM group_totals WHERE consumer_group = ?", [group]);
    expect([Number(totals.consumed), Number(totals.commits), Number(totals.dup_producer_resend)]).toEqual([sent, items.length, resends.length]);
  }, 60_000);

  it("renews a message held past its invisible time — a slow handler and a copy waiting for it — so no other worker gets it", async () => {
    const broker = await startBroker(cleanup);
    const topic = "simple-slow";
    const group = "simple-slow-g";
    const { handler, runs, started } = slowHandler(6_000); // three invisible times
    // One message at a time each: the second copy has to go to the other worker and wait there.
    const a = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler }, { invisibleS: 2, maxInflight: 1 });
    const b = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler }, { invisibleS: 2, maxInflight: 1 });
    await a.start();
    await b.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const [first] = await sendAll(producer, topic, [{ key: "slow-1", body: Buffer.from("{}") }]);
    await started;
    const [second] = await sendAll(producer, topic, [{ key: "slow-1", body: Buffer.from("{}") }]);

    await waitUntil("both copies acked", () => broker.admin.groupStats(group, topic).acked === 2, 25_000);
    expect(runs).toEqual([first]);
    // Held for three invisible times, yet delivered exactly twice (once per copy): renewed, never redelivered.
    expect(broker.admin.groupStats(group, topic)).toMatchObject({ delivered: 2, redelivered: 0, dlq: 0 });
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["inflight/waiting"]).toBe(1);
    expect(ev["duplicate/producer_resend/acked_duplicate"]).toBe(1);
    expect(second).not.toBe(first);
  }, 40_000);

  it("stop() lets a running handler finish and commit, hands a waiting copy back, and loses nothing", async () => {
    const broker = await startBroker(cleanup);
    const topic = "simple-stop";
    const group = "simple-stop-g";
    const { handler, runs, started } = slowHandler(1_500);
    const options = { invisibleS: 2, maxInflight: 1, retryInitialS: 1 };
    const a = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler }, options);
    await a.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const [first] = await sendAll(producer, topic, [{ key: "stop-1", body: Buffer.from("{}") }]);
    await started; // A runs the first copy
    const b = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler }, options);
    await b.start();
    await sendAll(producer, topic, [{ key: "stop-1", body: Buffer.from("{}") }]);
    await waitUntil("B's copy waits", async () => (await eventCounts(ctx.db.pool, group))["inflight/waiting"] === 1, 10_000);

    // Both stop (a deploy): A's handler finishes and commits, B's waiting copy goes back.
    await Promise.all([a.stop(), b.stop()]);
    expect(runs).toEqual([first]);
    expect(broker.admin.groupStats(group, topic)).toMatchObject({ acked: 1, dlq: 0 });
    const [claim] = await rows(ctx.db.pool, "SELECT state FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect(claim.state).toBe("DONE");

    // The handed-back copy is still there for the next worker, which acks it as a duplicate.
    const c = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler }, options);
    await c.start();
    await waitUntil("the second copy acked", () => broker.admin.groupStats(group, topic).acked === 2, 20_000);
    expect(runs).toEqual([first]);
    // B had already seen that copy's msgId, then left holding it: its return is a rebalance replay
    // (a copy seen before, re-sent because its holder left), not a second producer resend.
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["duplicate/rebalance_replay/acked_duplicate"]).toBe(1);
    expect(ev["duplicate/producer_resend/acked_duplicate"]).toBeUndefined();
  }, 40_000);

  it("never claims or runs a message whose body arrives corrupted: it goes back, and to the DLQ after the last attempt (recorded)", async () => {
    const broker = await startBroker(cleanup);
    const topic = "simple-corrupt";
    const group = "simple-corrupt-g";
    broker.admin.setGroupPolicy(group, { maxAttempts: 2 });
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const [damaged] = await sendAll(producer, topic, [{ key: "corrupt-1", body: Buffer.from("{}") }]);
    expect(broker.admin.corruptMessage(topic, damaged)).toBe(true);
    await sendAll(producer, topic, [{ key: "intact-1", body: Buffer.from("{}") }]);
    const ran: string[] = [];
    const c = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler: async (m) => void ran.push(m.key.toString()) }, { maxAttempts: 2, retryInitialS: 1 });
    await c.start();

    await waitUntil("the corrupted message dead-lettered", () => broker.admin.groupStats(group, topic).dlq === 1, 20_000);
    expect(ran).toEqual(["intact-1"]);
    expect(broker.admin.groupStats(group, topic)).toMatchObject({ acked: 1, delivered: 3 }); // intact once, damaged twice
    const keys = await rows(ctx.db.pool, "SELECT dedup_key FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect(keys.map((k) => (k.dedup_key as Buffer).toString())).toEqual(["intact-1"]);
    expect((await eventCounts(ctx.db.pool, group))["dead_letter/error"]).toBe(1);
  }, 30_000);

  it("a failed message comes back after the retry delay with attempt 2 and is applied then", async () => {
    const broker = await startBroker(cleanup);
    const topic = "simple-retry";
    const group = "simple-retry-g";
    const attempts: { attempt: number; at: number }[] = [];
    const handler: LeaseHandler = async (m) => {
      attempts.push({ attempt: m.deliveryAttempt, at: Date.now() });
      if (m.deliveryAttempt === 1) throw new Error("downstream unavailable");
    };
    const c = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler }, { invisibleS: 30, retryInitialS: 1 });
    await c.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    await sendAll(producer, topic, [{ key: "retry-1", body: Buffer.from("{}") }]);

    await waitUntil("acked on the retry", () => broker.admin.groupStats(group, topic).acked === 1, 20_000);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    // Back after the 1 s retry delay, not after the 30 s invisible time, and not at once.
    const gap = attempts[1].at - attempts[0].at;
    expect(gap).toBeGreaterThanOrEqual(900);
    expect(gap).toBeLessThan(10_000);
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["released_on_error/released"]).toBe(1);
    const [claim] = await rows(ctx.db.pool, "SELECT state FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect(claim.state).toBe("DONE");
  }, 30_000);

  it("writes down an ack the broker refuses, so the copy coming back is a redelivery", async () => {
    const broker = await startBroker(cleanup, { dropAckRatio: 1 });
    const [topic, group] = ["simple-refused", "simple-refused-g"];
    const ran: string[] = [];
    const c = simpleConsumer(broker.endpoint, group, topic, { mode: "lease", handler: async (m) => void ran.push(m.msgId) }, { invisibleS: 2 });
    await c.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const [msgId] = await sendAll(producer, topic, [{ key: "refused-1", body: Buffer.from("x") }]);
    await waitUntil("the ack was refused", () => broker.admin.groupStats(group, topic).ackDropped === 1);
    broker.admin.setDropAckRatio(0);
    await waitUntil("the copy came back and was acked", () => broker.admin.groupStats(group, topic).acked === 1, 20_000);
    const refused = await rows(ctx.db.pool, "SELECT msg_id, worker FROM dedup_ack_refused WHERE consumer_group = ?", [group]);
    expect(refused).toEqual([{ msg_id: msgId, worker: c.workerId }]);
    expect(ran).toEqual([msgId]);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/redelivery/acked_duplicate": 1 });
  }, 30_000);
});
