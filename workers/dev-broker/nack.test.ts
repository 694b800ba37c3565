/**
 * A PushConsumer whose listener fails: the client nacks with ChangeInvisibleDuration using its
 * retry policy's delay. The 1.0.8 client sends the delay in seconds as milliseconds (1 s → 1 ms,
 * near-immediate redelivery); the runtime's PushConsumer (getRetryPolicy() in milliseconds) fixes it.
 * The broker records the duration it was asked for, and the redelivery gap shows the effect.
 * After the group's max attempts the broker dead-letters the message.
 */
import type { Producer, PushConsumer } from "rocketmq-client-nodejs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { startProducer, startPushConsumer, waitUntil } from "./fixtures/clients";
import { startDevBroker, type DevBroker } from "./index";

let broker: DevBroker;
const clients: (Producer | PushConsumer)[] = [];
beforeAll(async () => {
  broker = await startDevBroker({ port: 0, longPollingTimeoutS: 2 });
});
afterAll(async () => {
  for (const c of clients) await shutdownSafely(c, { timeoutMs: 10_000 });
  await broker.close();
});

it("a failing listener gets the message back after the policy's delay, not instantly, and it ends in the DLQ", async () => {
  const topic = "nack-t";
  const group = "nack-g";
  broker.admin.setGroupPolicy(group, { maxAttempts: 2, initialS: 1, multiplier: 2, maxS: 10 });
  const attempts: { attempt: number; atMs: number }[] = [];
  clients.push(
    await startPushConsumer(broker.endpoint, group, topic, (m) => {
      attempts.push({ attempt: m.deliveryAttempt ?? 0, atMs: Date.now() });
      return false; // always fails
    }),
  );
  const producer = await startProducer(broker.endpoint, [topic]);
  clients.push(producer);
  const { messageId } = await producer.send({ topic, body: Buffer.from("poison") });

  await waitUntil("dead-lettered", () => broker.admin.groupStats(group, topic).dlq === 1, 15_000);
  expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
  // What the client asked for: 1 s, then 2 s (exponential, initial 1 s, ×2) — in milliseconds.
  const nacks = broker.admin.events("changeInvisible").filter((e) => e.group === group);
  expect(nacks.map((e) => [e.attempt, e.durationMs])).toEqual([
    [1, 1000],
    [2, 2000],
  ]);
  expect(attempts[1].atMs - attempts[0].atMs).toBeGreaterThanOrEqual(950);
  const deadLetter = broker.admin.events("deadLetter").find((e) => e.group === group)!;
  expect(deadLetter.atMs - attempts[1].atMs).toBeGreaterThanOrEqual(1950);
  expect(broker.admin.messages(`%DLQ%${group}`).map((m) => m.msgId)).toEqual([messageId]);
});
