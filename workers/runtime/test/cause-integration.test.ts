/**
 * With the real client against the dev broker, a duplicate whose reason is forced —
 * the producer sends a key twice; the broker loses an ack (a live holder's copy comes back); a
 * live holder nacks a copy; a queue moves in v4 mode — lands in exactly the cause the operator guide defines for it, and the
 * broker's own record of that delivery (delivery-truth.ts) says the same. (A holder killed while
 * holding its copy: kill.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { eventCounts } from "../../../test/support/deliveries";
import { causeAgreement } from "../../dev-broker/cause-agreement";
import type { DevBroker } from "../../dev-broker";
import { makeOrder } from "../../demo-producer/orders";
import { createStockHandler, ensureStockTables } from "../../examples/stock-deduction/stock";
import { createDedupConsumer } from "../src/index";
import { useBrokerTestFile } from "../../../test/support/broker-test-file";
import { sendAll, sleep, startBroker, startProducer, TEST_WORKER, waitUntil } from "../../../test/support/broker-harness";

const ctx = useBrokerTestFile({ prepare: (db) => ensureStockTables(db.pool) });
const { cleanup } = ctx;

function stockConsumer(broker: DevBroker, group: string, topic: string) {
  const c = createDedupConsumer({ group, topic, mode: "transactional", handler: createStockHandler(group), endpoints: broker.endpoint, db: ctx.db.pool, workerTimeoutS: 3, ...TEST_WORKER });
  cleanup.add(() => c.stop());
  return c;
}

const order = (id: string) => {
  const o = makeOrder(id);
  return { key: o.orderId, body: Buffer.from(JSON.stringify(o)) };
};

/** The broker's truth rows that have hits, with the causes recorded for them. */
async function truthOfHits(broker: DevBroker, group: string) {
  const a = await causeAgreement(ctx.db.pool, broker.admin, group);
  return Object.fromEntries(Object.entries(a.matrix).filter(([, v]) => Object.keys(v).length > 0));
}

describe("duplicate causes against the broker's truth", () => {
  it("resend only: the second msgId of a key is producer_resend, on its first arrival", async () => {
    const broker = await startBroker(cleanup);
    const [topic, group] = ["orders-resend", "stock-resend"];
    broker.admin.createTopic(topic, 2);
    await stockConsumer(broker, group, topic).start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const copy = order("r-1");
    await sendAll(producer, topic, [copy]);
    await waitUntil("first copy acked", () => broker.admin.groupStats(group, topic).acked === 1);
    await sendAll(producer, topic, [copy]); // the same order again: same key, new msgId
    await waitUntil("resend acked", () => broker.admin.groupStats(group, topic).acked === 2);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/producer_resend/acked_duplicate": 1 });
    expect(await truthOfHits(broker, group)).toEqual({ resend_copy: { producer_resend: 1 } });
  }, 60_000);

  it("lost ack only: the copy comes back to a live holder and is a redelivery", async () => {
    const broker = await startBroker(cleanup, { dropAckRatio: 1 });
    const [topic, group] = ["orders-lost-ack", "stock-lost-ack"];
    broker.admin.createTopic(topic, 2);
    await stockConsumer(broker, group, topic).start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    await sendAll(producer, topic, [order("l-1")]);
    await waitUntil("the ack was dropped", () => broker.admin.groupStats(group, topic).ackDropped === 1);
    broker.admin.setDropAckRatio(0);
    await waitUntil("the copy came back and was acked", () => broker.admin.groupStats(group, topic).acked === 1, 20_000);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/redelivery/acked_duplicate": 1 });
    expect(await truthOfHits(broker, group)).toEqual({ dropped_ack: { redelivery: 1 } });
  }, 60_000);

  it("nack only: a copy nacked by a live holder comes back to a key done meanwhile, and is a redelivery", async () => {
    // The nack's backoff (5 s) leaves time for the producer's second copy to run the key first.
    const broker = await startBroker(cleanup, { backoff: { initialS: 5, maxS: 5, multiplier: 1 } });
    const [topic, group] = ["orders-nack", "stock-nack"];
    broker.admin.createTopic(topic, 2);
    let calls = 0;
    const handler = async () => {
      if (calls++ === 0) throw new Error("the first try fails");
    };
    const c = createDedupConsumer({ group, topic, mode: "lease", handler, endpoints: broker.endpoint, db: ctx.db.pool, workerTimeoutS: 3, ...TEST_WORKER });
    cleanup.add(() => c.stop());
    await c.start();
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const copy = order("n-1");
    await sendAll(producer, topic, [copy]);
    await waitUntil("the first copy was nacked", () => broker.admin.groupStats(group, topic).nacked === 1);
    await sendAll(producer, topic, [copy]); // the second copy finds no claim (released) and runs
    await waitUntil("the second copy acked", () => broker.admin.groupStats(group, topic).acked === 1);
    await waitUntil("the nacked copy came back and was acked", () => broker.admin.groupStats(group, topic).acked === 2, 20_000);
    expect(calls).toBe(2);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "released_on_error/released": 1, "duplicate/redelivery/acked_duplicate": 1 });
    expect(await truthOfHits(broker, group)).toEqual({ nack: { redelivery: 1 } });
  }, 60_000);

  it("v4 move only: acked messages of a queue that moves are rebalance_replay", async () => {
    const broker = await startBroker(cleanup, { v4Mode: true, queues: 4, replayWindowS: 60 });
    const [topic, group] = ["orders-move", "stock-move"];
    broker.admin.createTopic(topic, 4);
    await stockConsumer(broker, group, topic).start();
    await sleep(1_500); // its first QueryAssignment: all 4 queues
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    await sendAll(producer, topic, Array.from({ length: 12 }, (_, i) => order(`m-${i}`)));
    await waitUntil("12 acked", () => broker.admin.groupStats(group, topic).acked === 12);
    await stockConsumer(broker, group, topic).start(); // a join: two queues move to it and replay
    await waitUntil("replays consumed", () => {
      const s = broker.admin.groupStats(group, topic);
      return s.replayed > 0 && s.acked === 12 + s.replayed && s.inflight === 0;
    }, 20_000);
    const replayed = broker.admin.groupStats(group, topic).replayed;
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/rebalance_replay/acked_duplicate": replayed });
    expect(await truthOfHits(broker, group)).toEqual({ v4_replay: { rebalance_replay: replayed } });
  }, 60_000);
});
