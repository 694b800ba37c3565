/**
 * Producer + SimpleConsumer (real client classes) against the dev broker: exactly-once hand-out
 * of acked messages, redelivery after the invisible duration with attempt + 1, and the move to
 * %DLQ%<group> after the group's max attempts.
 */
import { Producer, type MessageView, type SimpleConsumer } from "rocketmq-client-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { logger, sleep, startProducer, startSimpleConsumer } from "./fixtures/clients";
import { def } from "./proto";
import { startDevBroker, type DevBroker } from "./index";

let broker: DevBroker;
const clients: (Producer | SimpleConsumer)[] = [];

beforeAll(async () => {
  broker = await startDevBroker({ port: 0 });
});
afterAll(async () => {
  for (const c of clients) await shutdownSafely(c, { timeoutMs: 10_000 });
  await broker.close();
});

async function producerFor(topic: string) {
  const p = await startProducer(broker.endpoint, [topic]);
  clients.push(p);
  return p;
}
async function consumerFor(group: string, topic: string, awaitMs = 500) {
  const c = await startSimpleConsumer(broker.endpoint, group, topic, awaitMs);
  clients.push(c);
  return c;
}

describe("SimpleConsumer", () => {
  it("receives and acks 1,000 messages with keys and tags exactly once; a second receive gets nothing", async () => {
    const topic = "simple-1000";
    const producer = await producerFor(topic);
    const sent = new Map<string, { key: string; tag: string; body: string }>();
    for (let i = 0; i < 1000; i++) {
      const key = `order-${i}`;
      const tag = i % 2 === 0 ? "even" : "odd";
      const receipt = await producer.send({ topic, tag, keys: [key], body: Buffer.from(`payload-${i}`), properties: new Map([["n", String(i)]]) });
      sent.set(receipt.messageId, { key, tag, body: `payload-${i}` });
    }
    expect(sent.size).toBe(1000);

    const consumer = await consumerFor("simple-1000-g", topic);
    const got = new Map<string, MessageView>();
    const deadline = Date.now() + 30_000;
    while (got.size < 1000 && Date.now() < deadline) {
      for (const m of await consumer.receive(32, 30_000)) {
        expect(got.has(m.messageId)).toBe(false); // never handed out twice
        got.set(m.messageId, m);
        await consumer.ack(m);
      }
    }
    expect(got.size).toBe(1000);
    for (const [id, m] of got) {
      const want = sent.get(id)!;
      expect(m.keys).toEqual([want.key]);
      expect(m.tag).toBe(want.tag);
      expect(m.body.toString()).toBe(want.body);
      expect(m.deliveryAttempt).toBe(1);
      expect(m.corrupted).toBeFalsy();
    }
    expect(await consumer.receive(32, 30_000)).toEqual([]);
    expect(broker.admin.groupStats("simple-1000-g", topic)).toMatchObject({ delivered: 1000, acked: 1000, inflight: 0, redelivered: 0 });
  });

  it("a received-but-unacked message comes back after its invisible duration with attempt 2; after max attempts it is in %DLQ%<group>", async () => {
    const topic = "simple-retry";
    const group = "simple-retry-g";
    broker.admin.setGroupPolicy(group, { maxAttempts: 3 });
    const producer = await producerFor(topic);
    const { messageId } = await producer.send({ topic, keys: ["k-retry"], body: Buffer.from("never acked") });
    const consumer = await consumerFor(group, topic, 1500);

    const first = await consumer.receive(1, 1000);
    expect(first.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[messageId, 1]]);
    const t1 = Date.now();
    const second = await consumer.receive(1, 1000); // long-polls until the first delivery times out
    expect(second.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[messageId, 2]]);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(900);
    // The old receipt handle died with the first delivery.
    await expect(consumer.ack(first[0])).rejects.toThrow();
    const third = await consumer.receive(1, 1000);
    expect(third.map((m) => m.deliveryAttempt)).toEqual([3]);

    await sleep(1300); // attempt 3 times out → max attempts reached → dead-lettered
    broker.admin.sweep();
    expect(await consumer.receive(1, 1000)).toEqual([]);
    const dlq = broker.admin.messages(`%DLQ%${group}`);
    expect(dlq.map((m) => [m.msgId, m.keys, m.deadLetter])).toEqual([[messageId, ["k-retry"], { topic, group, attempts: 3 }]]);
    expect(broker.admin.groupStats(group, topic)).toMatchObject({ delivered: 3, redelivered: 2, dlq: 1, inflight: 0, ready: 0 });

    // The DLQ is an ordinary topic: another group can read it.
    const reader = await consumerFor("dlq-reader", `%DLQ%${group}`);
    const fromDlq = await reader.receive(10, 5000);
    expect(fromDlq.map((m) => [m.messageId, m.body.toString()])).toEqual([[messageId, "never acked"]]);
  });

  it("delayed messages wait for their delivery time; transactional ones for their commit", async () => {
    const topic = "simple-held";
    broker.admin.createTopic(topic, undefined, "MIXED"); // one topic for both kinds (the type check is on)
    const producer = new Producer({ endpoints: broker.endpoint, namespace: "", logger, topics: [topic], checker: { check: async () => def.TransactionResolution.COMMIT } });
    await producer.startup();
    clients.push(producer);
    const consumer = await consumerFor("simple-held-g", topic, 300);
    const due = Date.now() + 1200;
    const delayed = await producer.send({ topic, body: Buffer.from("later"), deliveryTimestamp: new Date(due) });
    const tx = producer.beginTransaction();
    const half = await producer.send({ topic, body: Buffer.from("tx") }, tx);
    expect(await consumer.receive(10, 5000)).toEqual([]); // neither is visible yet
    await tx.commit();
    expect((await consumer.receive(10, 5000)).map((m) => m.messageId)).toEqual([half.messageId]);
    await sleep(due - Date.now() + 300);
    const late = await consumer.receive(10, 5000);
    expect(late.map((m) => [m.messageId, m.deliveryTimestamp?.getTime()])).toEqual([[delayed.messageId, due]]);
  });
});
