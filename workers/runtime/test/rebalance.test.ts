/**
 * Join, clean leave and heartbeat timeout produce rebalance events (timeouts: see
 * kill.test.ts); in v4 mode (queues move, acked offsets replay) the replays are classified as
 * rebalance_replay. And a worker process stops gracefully on SIGTERM: in-flight work finishes,
 * it deregisters and exits 0.
 */
import { describe, expect, it } from "vitest";
import { eventCounts, rows } from "../../../test/support/deliveries";
import { createStockHandler, ensureStockTables } from "../../examples/stock-deduction/stock";
import { makeOrder } from "../../demo-producer/orders";
import { createDedupConsumer } from "../src/index";
import { useBrokerTestFile } from "../../../test/support/broker-test-file";
import { sendAll, sleep, spawnWorker, startBroker, startProducer, TEST_WORKER, waitUntil } from "../../../test/support/broker-harness";

const ctx = useBrokerTestFile({ prepare: (db) => ensureStockTables(db.pool) });
const { cleanup } = ctx;

function stockConsumer(endpoint: string, group: string, topic: string) {
  const c = createDedupConsumer({
    group,
    topic,
    mode: "transactional",
    handler: createStockHandler(group),
    endpoints: endpoint,
    db: ctx.db.pool,
    workerTimeoutS: 3,
    ...TEST_WORKER,
  });
  cleanup.add(() => c.stop());
  return c;
}

const orders = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const o = makeOrder(`${prefix}-${i}`);
    return { key: o.orderId, body: Buffer.from(JSON.stringify(o)) };
  });

async function ledgerMax(group: string): Promise<{ keys: number; max: number }> {
  const [r] = await rows(ctx.db.pool, "SELECT COUNT(*) k, COALESCE(MAX(n), 0) m FROM (SELECT COUNT(*) n FROM demo_stock_ledger WHERE consumer_group = ? GROUP BY order_key) x", [group]);
  return { keys: Number(r.k), max: Number(r.m) };
}

describe("rebalances", () => {
  it("records join and leave, and classifies v4 replays after a departure as rebalance_replay", async () => {
    const broker = await startBroker(cleanup, { v4Mode: true, queues: 4, replayWindowS: 60 });
    const topic = "orders-v4";
    const group = "stock-v4";
    broker.admin.createTopic(topic, 4);
    const a = stockConsumer(broker.endpoint, group, topic);
    const b = stockConsumer(broker.endpoint, group, topic);
    await a.start();
    await b.start();
    await sleep(1_500); // both run their first QueryAssignment: 2 queues each
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const items = orders("v4", 40);
    await sendAll(producer, topic, items, 8);
    await waitUntil("40 acked", () => broker.admin.groupStats(group, topic).acked === 40);
    const [byB] = await rows(ctx.db.pool, "SELECT COUNT(*) n FROM dedup_claim WHERE consumer_group = ? AND owner = ?", [group, b.workerId]);
    expect(Number(byB.n)).toBeGreaterThan(0);

    await b.stop(); // clean leave: its queues move to A, which replays what B acked on them
    await waitUntil("replays consumed", () => {
      const s = broker.admin.groupStats(group, topic);
      return s.replayed > 0 && s.acked === 40 + s.replayed && s.inflight === 0;
    }, 20_000);
    const replayed = broker.admin.groupStats(group, topic).replayed;
    expect(replayed).toBe(Number(byB.n));
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev).toEqual({ "duplicate/rebalance_replay/acked_duplicate": replayed });
    expect(await ledgerMax(group)).toEqual({ keys: 40, max: 1 });

    const reb = await rows(ctx.db.pool, "SELECT kind, worker_id, members_before, members_after, queues FROM rebalance_event WHERE consumer_group = ? ORDER BY id", [group]);
    expect(reb.map((r) => [r.kind, r.worker_id])).toEqual([["join", a.workerId], ["join", b.workerId], ["leave", b.workerId]]);
    expect(JSON.parse(reb[2].members_before).sort()).toEqual([a.workerId, b.workerId].sort());
    expect(JSON.parse(reb[2].members_after)).toEqual([a.workerId]);
    // v4 mode assigns real queues: the registry reports them.
    const [wa] = await rows(ctx.db.pool, "SELECT queues FROM worker_instance WHERE id = ?", [a.workerId]);
    expect(JSON.parse(wa.queues).length).toBeGreaterThan(0);
  }, 60_000);

  it("stops a worker process on SIGTERM after finishing in-flight work, deregistered, exit 0", async () => {
    const broker = await startBroker(cleanup);
    const topic = "orders-term";
    const group = "stock-term";
    const worker = spawnWorker(cleanup, "workers/examples/stock-deduction/main.ts", {
      DATABASE_URL: ctx.db.url,
      ROCKETMQ_ENDPOINTS: broker.endpoint,
      DEMO_TOPIC: topic,
      DEMO_GROUP: group,
      DEMO_HANDLER_DELAY_MS: "1500",
      HEARTBEAT_S: "0.5",
      RETENTION_INTERVAL_S: "0",
      FLUSH_INTERVAL_S: "1",
    });
    await waitUntil("worker registered", async () => (await rows(ctx.db.pool, "SELECT id FROM worker_instance WHERE consumer_group = ? AND state = 'live'", [group])).length === 1, 30_000)
      .catch((err) => { throw new Error(`${err}\n${worker.stderr()}`); });
    await sleep(1_500);
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const items = orders("term", 5);
    await sendAll(producer, topic, items, 5);
    await waitUntil("handlers running", () => broker.admin.groupStats(group, topic).inflight === 5, 10_000);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    // In flight when the signal came: finished and acked, not abandoned.
    expect(broker.admin.groupStats(group, topic).acked).toBe(5);
    expect(await ledgerMax(group)).toEqual({ keys: 5, max: 1 });
    const [w] = await rows(ctx.db.pool, "SELECT state, stopped_at FROM worker_instance WHERE consumer_group = ?", [group]);
    expect(w.state).toBe("left");
    const kinds = await rows(ctx.db.pool, "SELECT kind FROM rebalance_event WHERE consumer_group = ? ORDER BY id", [group]);
    expect(kinds.map((k) => k.kind)).toEqual(["join", "leave"]);
    const [tot] = await rows(ctx.db.pool, "SELECT commits FROM group_totals WHERE consumer_group = ?", [group]);
    expect(Number(tot.commits)).toBe(5); // rollups flushed at shutdown
  }, 60_000);
});
