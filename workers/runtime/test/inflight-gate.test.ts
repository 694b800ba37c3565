/**
 * The receive gate (inflight-gate.ts) unit by unit, and through the dev broker with the real
 * client: a worker whose handler is slower than a receive round trip is not capped at one cache
 * per second (the client's own flow control sleeps 1 s whenever its cache is full), and it never
 * holds more than its limit.
 */
import { describe, expect, it } from "vitest";
import { ConsumeResult } from "rocketmq-client-nodejs";
import { clientLogger } from "../src/rocketmq/logger";
import { createInflightGate } from "../src/consumer/inflight-gate";
import { ObservedPushConsumer } from "../src/consumer/observed-push-consumer";
import { Cleanup, quietLog, sendAll, sleep, startBroker, startProducer, waitUntil } from "../../../test/support/broker-harness";

const queue = (n: number) => ({ n, cachedMessagesCount() { return this.n; } });

describe("inflight gate", () => {
  it("hands out the free room, reserves it, and makes the next receive wait for a settle", async () => {
    const gate = createInflightGate(10, { maxWaitMs: 5_000, recheckMs: 60_000, lingerMs: 0 });
    const q = queue(0);
    expect(await gate.acquire(32)).toBe(10); // a 32-batch shrinks to the room
    q.n = 10;
    gate.track(q);
    gate.release(10); // the client cached the 10 it got
    expect(gate.held()).toBe(10);
    q.n = 9; // one settled, but a receive asking now ...
    expect(await gate.acquire(32)).toBe(1); // ... gets exactly the free room
    q.n = 10;
    gate.release(1);
    let got: number | undefined;
    void gate.acquire(32).then((n) => (got = n));
    await sleep(30);
    expect(got).toBeUndefined(); // full: waits (no 1 s sleep, no polling needed)
    q.n = 7; // three acked and evicted
    gate.wake();
    await sleep(10);
    expect(got).toBe(3);
  });

  it("lingers for fuller batches while messages are held, up to lingerMs; not when nothing is held", async () => {
    const gate = createInflightGate(10, { maxWaitMs: 5_000, recheckMs: 60_000, lingerMs: 80 });
    const q = queue(10);
    gate.track(q);
    let got: number | undefined;
    void gate.acquire(8).then((n) => (got = n));
    q.n = 9; // one acked: room for 1 of the 8 wanted
    gate.wake();
    await sleep(30);
    expect(got).toBeUndefined(); // lingers instead of a receive for one message
    q.n = 2; // the rest of the batch acked within the linger
    gate.wake();
    await sleep(10);
    expect(got).toBe(8); // room for all it wants: at once
    q.n = 10;
    gate.release(8);

    q.n = 9; // one more acked, and nothing else settles
    const t0 = Date.now();
    expect(await gate.acquire(8)).toBe(1); // the linger runs out: it takes what there is
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
    q.n = 10;
    gate.release(1);

    q.n = 0; // everything settled: nothing to wait for
    const t1 = Date.now();
    expect(await gate.acquire(32)).toBe(10);
    expect(Date.now() - t1).toBeLessThan(50);
  });

  it("gives a waiting receive 0 after maxWaitMs, and every waiter 0 on close", async () => {
    const gate = createInflightGate(1, { maxWaitMs: 50, recheckMs: 10 });
    const q = queue(1);
    gate.track(q);
    const t0 = Date.now();
    expect(await gate.acquire(4)).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    const late = createInflightGate(1, { maxWaitMs: 60_000 });
    late.track(queue(1));
    const waiting = late.acquire(1);
    late.close();
    expect(await waiting).toBe(0);
    expect(await late.acquire(1)).toBe(0);
  });

  it("lets a slow handler's worker consume far more than its cache per second, never holding more than the limit", async () => {
    const cleanup = new Cleanup();
    try {
      const broker = await startBroker(cleanup);
      const topic = "gate-flow";
      const producer = await startProducer(cleanup, broker.endpoint, [topic]);
      const total = 120;
      const limit = 4;
      await sendAll(producer, topic, Array.from({ length: total }, (_, i) => ({ key: `g-${i}`, body: Buffer.from("x") })));
      let running = 0;
      let maxRunning = 0;
      let done = 0;
      let maxHeld = 0;
      const consumer: ObservedPushConsumer = new ObservedPushConsumer({
        endpoints: broker.endpoint,
        namespace: "",
        logger: clientLogger(quietLog),
        consumerGroup: "gate-flow-g",
        subscriptions: new Map([[topic, "*"]]),
        maxCacheMessageCount: limit,
        messageListener: {
          async consume(): Promise<ConsumeResult> {
            maxHeld = Math.max(maxHeld, consumer.heldMessages());
            maxRunning = Math.max(maxRunning, ++running);
            await sleep(10); // slower than a receive round trip
            running--;
            done++;
            return ConsumeResult.SUCCESS;
          },
        },
      });
      await consumer.startup();
      cleanup.add(() => consumer.shutdown());
      const t0 = Date.now();
      await waitUntil("all consumed", () => done >= total, 20_000, 20);
      const seconds = (Date.now() - t0) / 1000;
      // With the client's 1 s cache-full sleep this takes ≈ total / limit = 30 s.
      expect(seconds).toBeLessThan(10);
      expect(maxRunning).toBeLessThanOrEqual(limit);
      expect(maxHeld).toBeLessThanOrEqual(limit);
      await waitUntil("all acked", () => broker.admin.groupStats("gate-flow-g", topic).acked >= total, 10_000);
    } finally {
      await cleanup.run();
    }
  }, 40_000);
});
