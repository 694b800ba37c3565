/**
 * 20 concurrent producers × 500 messages through the real client: nothing lost, nothing
 * duplicated (no fault injected), and two push consumers in one group get each message once.
 * Then the same with dropped acks switched on: duplicates appear — the fault works.
 */
import type { Producer, PushConsumer } from "rocketmq-client-nodejs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { startProducer, startPushConsumer, waitUntil } from "./fixtures/clients";
import { startDevBroker, type DevBroker } from "./index";

const PRODUCERS = 20;
const PER_PRODUCER = 500;
let broker: DevBroker;
const clients: (Producer | PushConsumer)[] = [];

beforeAll(async () => {
  broker = await startDevBroker({ port: 0, longPollingTimeoutS: 2, renewInvisibleS: 1 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => shutdownSafely(c, { timeoutMs: 10_000 })));
  await broker.close();
});

it("20 producers × 500 messages: no loss, no duplicate without an injected fault", async () => {
  const topic = "many-producers";
  const group = "many-producers-g";
  const counts = new Map<string, number>();
  const onMessage = (m: { messageId: string }) => {
    counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    return true;
  };
  clients.push(await startPushConsumer(broker.endpoint, group, topic, onMessage));
  clients.push(await startPushConsumer(broker.endpoint, group, topic, onMessage));
  const producers = await Promise.all(Array.from({ length: PRODUCERS }, () => startProducer(broker.endpoint, [topic])));
  clients.push(...producers);

  const sentIds = (
    await Promise.all(
      producers.map(async (p, pi) => {
        const ids: string[] = [];
        for (let i = 0; i < PER_PRODUCER; i++) ids.push((await p.send({ topic, keys: [`p${pi}-${i}`], body: Buffer.from(`p${pi}-${i}`) })).messageId);
        return ids;
      }),
    )
  ).flat();
  const total = PRODUCERS * PER_PRODUCER;
  expect(new Set(sentIds).size).toBe(total);

  const stored = broker.admin.messages(topic);
  expect(stored).toHaveLength(total);
  expect(new Set(stored.map((m) => m.msgId))).toEqual(new Set(sentIds));
  expect(new Set(stored.map((m) => m.keys[0])).size).toBe(total);

  await waitUntil("all consumed", () => broker.admin.groupStats(group, topic).acked === total, 60_000);
  expect(counts.size).toBe(total);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  expect(broker.admin.groupStats(group, topic)).toMatchObject({ delivered: total, redelivered: 0, inflight: 0, backlog: 0 });
});

it("with dropped acks injected, the same flow does produce duplicates", async () => {
  const topic = "dropped-acks";
  const group = "dropped-acks-g";
  broker.admin.setDropAckRatio(0.2);
  const counts = new Map<string, number>();
  clients.push(
    await startPushConsumer(broker.endpoint, group, topic, (m) => {
      counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
      return true;
    }),
  );
  const producer = await startProducer(broker.endpoint, [topic]);
  clients.push(producer);
  for (let i = 0; i < 100; i++) await producer.send({ topic, body: Buffer.from(`d${i}`) });
  await waitUntil("acks dropped", () => broker.admin.groupStats(group, topic).ackDropped > 0);
  broker.admin.setDropAckRatio(0);
  await waitUntil("everything acked in the end", () => broker.admin.groupStats(group, topic).acked === 100, 15_000);
  const dupes = [...counts.values()].filter((n) => n > 1).length;
  expect(counts.size).toBe(100);
  expect(dupes).toBeGreaterThan(0);
  expect(broker.admin.groupStats(group, topic).redelivered).toBeGreaterThanOrEqual(dupes);
});
