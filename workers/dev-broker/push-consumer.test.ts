/**
 * Two real PushConsumers in one group against the dev broker:
 *  - pop mode (the RocketMQ 5 default): they share the stream without overlap; when one is
 *    SIGKILLed mid-handler in a child process, its in-flight messages reach the survivor H
 *    seconds later with delivery attempt 2;
 *  - v4 mode: the queues are split between them, a departure moves them, and what was acked on a
 *    moved queue in the replay window arrives again with the same msgId.
 */
import type { MessageView, Producer, PushConsumer } from "rocketmq-client-nodejs";
import { afterEach, describe, expect, it } from "vitest";
import { shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { startPushConsumer, startProducer, waitUntil } from "./fixtures/clients";
import { spawnFixture, type FixtureProcess } from "./fixtures/spawn";
import { startDevBroker, type DevBroker } from "./index";

const H = 2;
let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  cleanup = [];
});

async function broker(opts: Parameters<typeof startDevBroker>[0]): Promise<DevBroker> {
  const b = await startDevBroker({ port: 0, heartbeatTimeoutS: H, longPollingTimeoutS: 2, ...opts });
  cleanup.push(() => b.close());
  return b;
}

function track<T extends Producer | PushConsumer>(client: T): T {
  cleanup.push(() => shutdownSafely(client, { timeoutMs: 10_000 }));
  return client;
}

interface Seen {
  msgId: string;
  attempt: number;
  atMs: number;
}

function recorder() {
  const seen: Seen[] = [];
  return {
    seen,
    ids: () => new Set(seen.map((s) => s.msgId)),
    onMessage: (m: MessageView) => {
      seen.push({ msgId: m.messageId, attempt: m.deliveryAttempt ?? 0, atMs: Date.now() });
      return true;
    },
  };
}

async function sendMany(producer: Producer, topic: string, n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await producer.send({ topic, keys: [`${prefix}-${i}`], body: Buffer.from(`${prefix}-${i}`) })).messageId);
  return ids;
}

describe("push consumers, pop mode (RocketMQ 5 proxy behaviour)", () => {
  it("share the stream without overlap; a SIGKILLed member's in-flight messages reach the survivor after H s with attempt 2", async () => {
    const b = await broker({});
    const topic = "push-kill";
    const group = "push-kill-g";
    const producer = track(await startProducer(b.endpoint, [topic]));
    const survivor = recorder();
    track(await startPushConsumer(b.endpoint, group, topic, survivor.onMessage));
    const child: FixtureProcess = spawnFixture("push-child", [b.endpoint, group, topic, "hang"]);
    cleanup.push(async () => child.child.kill("SIGKILL"));
    await child.waitFor((r) => r.type === "ready");
    await new Promise((r) => setTimeout(r, 1200)); // both run their first QueryAssignment 1 s after start

    const sent = await sendMany(producer, topic, 200, "kill");
    const childIds = () => new Set(child.reports.filter((r) => r.type === "received").map((r) => r.msgId as string));
    // Everything is either acked by the survivor or held (handler hanging) by the child.
    await waitUntil("all 200 delivered once", () => {
      const s = b.admin.groupStats(group, topic);
      return s.acked + s.inflight === 200 && childIds().size === s.inflight;
    });
    const held = childIds();
    expect(held.size).toBeGreaterThan(0);
    expect(survivor.ids().size).toBeGreaterThan(0);
    expect([...held].filter((id) => survivor.ids().has(id))).toEqual([]); // no message to both
    expect(survivor.seen.every((s) => s.attempt === 1)).toBe(true);

    const killedAt = Date.now();
    child.child.kill("SIGKILL");
    await waitUntil("survivor got the killed member's messages", () => [...held].every((id) => survivor.ids().has(id)), 20_000);

    const redelivered = survivor.seen.filter((s) => held.has(s.msgId));
    expect(redelivered).toHaveLength(held.size);
    for (const s of redelivered) {
      expect(s.attempt).toBe(2);
      expect(s.atMs - killedAt).toBeGreaterThanOrEqual(H * 1000 - 250);
    }
    expect(survivor.ids()).toEqual(new Set(sent)); // everything consumed, each id once at the survivor
    await waitUntil("all acked", () => b.admin.groupStats(group, topic).acked === 200);
    const stats = b.admin.groupStats(group, topic);
    expect(stats).toMatchObject({ acked: 200, inflight: 0, redelivered: held.size, dlq: 0 });
    const gone = b.admin.events("clientGone").filter((e) => e.reason === "timeout");
    expect(gone).toHaveLength(1);
    expect(gone[0].released).toBe(held.size);
  });
});

describe("push consumers, v4 mode (fault injection)", () => {
  it("split the queues; a departure moves them and replays what was acked on them with the same msgId", async () => {
    const b = await broker({ v4Mode: true, queues: 4, replayWindowS: 60 });
    const topic = "push-v4";
    const group = "push-v4-g";
    const producer = track(await startProducer(b.endpoint, [topic]));
    const a = recorder();
    const bee = recorder();
    track(await startPushConsumer(b.endpoint, group, topic, a.onMessage));
    const leaver = await startPushConsumer(b.endpoint, group, topic, bee.onMessage);
    cleanup.push(() => shutdownSafely(leaver, { timeoutMs: 10_000 }));
    // Settled: two owners, and each client was last told exactly the queues it owns.
    const settled = () => {
      const { owners, told } = b.admin.assignments(group, topic);
      const ids = new Set(owners);
      return ids.size === 2 && !ids.has(undefined) && [...ids].every((id) => JSON.stringify(told[id!]) === JSON.stringify(owners.flatMap((o, q) => (o === id ? [q] : []))));
    };
    await waitUntil("assignments settled", settled, 15_000);
    // If a queue moved while settling (slow start), a dropped queue's open long poll may still
    // take one message, as a real v4 consumer would; let those polls run out first.
    if (b.admin.events("replay").length > 0) await new Promise((r) => setTimeout(r, 2500));

    await sendMany(producer, topic, 40, "v4");
    await waitUntil("40 acked", () => b.admin.groupStats(group, topic).acked === 40);
    const queueOf = new Map(b.admin.messages(topic).map((m) => [m.msgId, m.queueId]));
    const queuesA = new Set(a.seen.map((s) => queueOf.get(s.msgId)));
    const queuesB = new Set(bee.seen.map((s) => queueOf.get(s.msgId)));
    expect(queuesA.size).toBe(2);
    expect(queuesB.size).toBe(2);
    expect([...queuesA].filter((q) => queuesB.has(q))).toEqual([]); // split, not shared
    const acceptedByB = bee.ids();

    await leaver.shutdown(); // departure (NotifyClientTermination)
    // A's next QueryAssignment (every 5 s) takes B's queues over; B's acked messages come again.
    await waitUntil("replay reached A", () => [...acceptedByB].every((id) => a.ids().has(id)), 15_000);
    const replayed = a.seen.filter((s) => acceptedByB.has(s.msgId));
    expect(replayed).toHaveLength(acceptedByB.size); // same msgIds, once each
    expect(b.admin.groupStats(group, topic).replayed).toBe(acceptedByB.size);
    const moves = b.admin.events("replay").filter((e) => e.count > 0);
    expect(moves.map((e) => e.queueId).sort()).toEqual([...queuesB].sort());

    const after = await sendMany(producer, topic, 8, "after");
    await waitUntil("A consumes all queues now", () => after.every((id) => a.ids().has(id)));
    const queueNow = new Map(b.admin.messages(topic).map((m) => [m.msgId, m.queueId]));
    expect(after.some((id) => queuesB.has(queueNow.get(id)))).toBe(true); // incl. B's former queues
  });
});
