/**
 * Dead letters end to end with the real client and the dev broker: a handler that fails for 30
 * keys with one reason and 10 with another leaves 40 dead letters in two reason groups; after the
 * fix, re-driving the first group runs 30 effects once each, writes 30 audit rows and leaves 10
 * in the DLQ; re-driving a message whose key is DONE by then is acked as a `manual_redrive`
 * duplicate without a second effect; a re-drive while the broker is unreachable reports every
 * message failed and takes nothing out of the DLQ.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDedupConsumer } from "@dedup-audit/runtime";
import type { DevBroker } from "../../workers/dev-broker/index";
import { Cleanup, quietLog, sendAll, startBroker, startProducer, TEST_WORKER, waitUntil } from "../../test/support/broker-harness";
import { useDashboardDatabase } from "../../test/support/http";
import { startForwarder, type Forwarder } from "../../test/support/tcp-forwarder";
import { prisma } from "../db/prisma";
import { closeBrokerClients, READER_GROUP, useBrokerConnection } from "./connection";
import { listDeadLetters } from "./list";
import { previewRedrive, redriveProgress, settledRedrive, startRedrive } from "./redrive";

const ctx = useDashboardDatabase();
const cleanup = new Cleanup();
const group = "dl-payments";
const topic = "dl-orders";
const dlq = `%DLQ%${group}`;
let broker: DevBroker;
let forwarder: Forwarder;
let fixed = false;

class PaymentDeclined extends Error {
  override name = "PaymentDeclined";
}

async function effects(): Promise<Map<string, number>> {
  const [rows] = await ctx.db.pool.query<import("mysql2").RowDataPacket[]>("SELECT order_key, COUNT(*) AS n FROM dl_effect GROUP BY order_key");
  return new Map(rows.map((r) => [String(r.order_key), Number(r.n)]));
}

/** Dead letters the DLQ still holds for the dashboard's reader group: stored minus acked. */
function dlqSize(): number {
  const stored = broker.admin.messages(dlq).length;
  const acked = broker.admin.groupStats(READER_GROUP, dlq).acked;
  return stored - acked;
}

beforeAll(async () => {
  await ctx.db.pool.query("CREATE TABLE dl_effect (id BIGINT AUTO_INCREMENT PRIMARY KEY, order_key VARCHAR(64) NOT NULL)");
  broker = await startBroker(cleanup);
  broker.admin.setGroupPolicy(group, { maxAttempts: 2, initialS: 1, maxS: 1 });
  forwarder = await startForwarder(broker.port);
  const consumer = createDedupConsumer({
    group,
    topic,
    mode: "transactional",
    endpoints: broker.endpoint,
    db: ctx.db.pool,
    ...TEST_WORKER,
    handler: async (m, { tx }) => {
      const key = m.key.toString();
      if (!fixed && key.startsWith("a-")) throw new PaymentDeclined(`card declined for order ${key.slice(2)} (token=sk_live_abcdef123456)`);
      if (!fixed && key.startsWith("b-")) throw new RangeError(`stock of sku ${1000 + Number(key.slice(2))} below zero`);
      await tx.query("INSERT INTO dl_effect (order_key) VALUES (?)", [key]);
    },
  });
  const running = await consumer.start();
  cleanup.add(() => running.stop());
  // The dashboard reaches the broker through a forwarder the last test cuts.
  await useBrokerConnection({ endpoints: forwarder.endpoint, awaitMs: 200, requestTimeoutMs: 1_000 });
  cleanup.add(() => closeBrokerClients());
}, 60_000);

afterAll(() => cleanup.run(), 60_000);

describe("dead letters", () => {
  it("a failing handler leaves 40 dead letters, recorded with their reasons and grouped in two", async () => {
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const items = [...Array.from({ length: 30 }, (_, i) => `a-${i}`), ...Array.from({ length: 10 }, (_, i) => `b-${i}`)].map((key) => ({ key, body: Buffer.from(`{"order":"${key}"}`) }));
    await sendAll(producer, topic, items);
    await waitUntil("40 messages dead-lettered", () => broker.admin.groupStats(group, topic).dlq === 40, 60_000);
    await waitUntil("40 dead letters recorded", async () => (await prisma().dedupEvent.count({ where: { consumerGroup: group, kind: "dead_letter" } })) === 40, 20_000);

    const released = await prisma().dedupEvent.findFirst({ where: { consumerGroup: group, kind: "released_on_error", errorClass: "PaymentDeclined" } });
    expect(released?.detail).toMatch(/^card declined for order \d+ \(token=\*\*\*\)$/); // the secret never reaches the record

    const list = await listDeadLetters(group);
    expect(list.brokerError).toBeUndefined();
    expect(list.total).toBe(40);
    expect(list.reasons.map((r) => [r.reason.id, r.count])).toEqual([
      ["PaymentDeclined: card declined for order <n> (token=***)", 30],
      ["RangeError: stock of sku <n> below zero", 10],
    ]);
    const one = list.items.find((d) => d.key === "a-7")!;
    expect(one).toMatchObject({ topic, attempts: 2, claim: "released", errorClass: "PaymentDeclined", message: "card declined for order 7 (token=***)" });
    expect(Date.parse(one.lastFailureAt!)).toBeGreaterThanOrEqual(Date.parse(one.firstFailureAt!));
    expect((await listDeadLetters(group, { key: "b-" })).items).toHaveLength(10);
    expect(dlqSize()).toBe(40);
  }, 90_000);

  it("after the fix, re-driving one reason runs its 30 effects once each, audits 30 rows and leaves 10 in the DLQ", async () => {
    fixed = true;
    const reasonA = (await listDeadLetters(group)).reasons[0].reason.id;
    const preview = await previewRedrive(group, { reason: reasonA });
    expect(preview.counts).toEqual({ rerun: 30, duplicate: 0, waits: 0 });

    const { jobId, total } = await startRedrive({ group, selection: { reason: reasonA }, reason: "payment provider fixed", actor: "user:op@example.com", ratePerS: 200 });
    expect(total).toBe(30);
    await settledRedrive(jobId);
    const progress = await redriveProgress(jobId);
    expect(progress).toMatchObject({ state: "done", counts: { sent: 30, failed: 0, pending: 0, skipped: 0 } });
    expect(progress!.items.every((i) => i.newMsgId && i.newMsgId !== i.msgId)).toBe(true);

    await waitUntil("30 effects", async () => (await effects()).size === 30, 30_000);
    await new Promise((r) => setTimeout(r, 1_000)); // room for a second run, were there one
    const done = await effects();
    expect([...done.keys()].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `a-${i}`).sort());
    expect([...done.values()].every((n) => n === 1)).toBe(true);

    const audit = await prisma().operatorAction.findMany({ where: { action: "dead_letter_redrive", consumerGroup: group } });
    expect(audit).toHaveLength(30);
    expect(audit.every((a) => a.result === "ok" && a.reason === "payment provider fixed" && a.actor === "user:op@example.com")).toBe(true);

    expect(dlqSize()).toBe(10);
    expect((await listDeadLetters(group)).total).toBe(10);
  }, 90_000);

  it("re-driving a dead letter whose key is DONE by now is acked as a manual_redrive duplicate, not run again", async () => {
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    await sendAll(producer, topic, [{ key: "b-3", body: Buffer.from('{"order":"b-3"}') }]);
    await waitUntil("b-3 done", async () => (await effects()).get("b-3") === 1, 20_000);

    const dead = (await listDeadLetters(group, { key: "b-3" })).items[0];
    expect(dead.claim).toBe("done");
    const preview = await previewRedrive(group, { msgIds: [dead.msgId] });
    expect(preview.items.map((i) => i.expected)).toEqual(["duplicate"]);

    const { jobId } = await startRedrive({ group, selection: { msgIds: [dead.msgId] }, reason: "stock fixed; b-3 was resent", actor: "user:op@example.com" });
    await settledRedrive(jobId);
    expect((await redriveProgress(jobId))!.counts.sent).toBe(1);
    await waitUntil("the re-driven copy acked as a duplicate", async () => (await prisma().dedupEvent.count({ where: { consumerGroup: group, kind: "duplicate", cause: "manual_redrive" } })) === 1, 20_000);
    expect((await effects()).get("b-3")).toBe(1);
    expect(dlqSize()).toBe(9);
  }, 60_000);

  it("a re-drive while the broker is unreachable reports each message failed and removes nothing from the DLQ", async () => {
    await listDeadLetters(group); // what the page showed before the broker went away
    await forwarder.cut();
    const list = await listDeadLetters(group);
    expect(list.brokerError).toMatch(/could not be read/);
    expect(list.total).toBe(9);
    const { jobId, total } = await startRedrive({ group, selection: { msgIds: list.items.map((d) => d.msgId) }, reason: "try again", actor: "user:op@example.com", ratePerS: 200 });
    expect(total).toBe(9);
    await settledRedrive(jobId);
    const progress = await redriveProgress(jobId);
    expect(progress!.counts).toEqual({ pending: 0, sent: 0, failed: 9, skipped: 0 });
    expect(progress!.items.every((i) => /did not take the re-publish/.test(i.detail ?? ""))).toBe(true);
    const failedAudit = await prisma().operatorAction.count({ where: { action: "dead_letter_redrive", consumerGroup: group, result: "failed" } });
    expect(failedAudit).toBe(9);
    expect(dlqSize()).toBe(9);
  }, 120_000);
});
