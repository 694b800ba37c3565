/**
 * The evaluator against a real database, as an on-call engineer meets it: a duplicate rate
 * hovering around its threshold pages once and clears once; a silence keeps notifications back,
 * is in the audit log, and the alert's history still shows what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/db";
import { addStats } from "../../test/support/alerts/fixtures";
import { createPrisma, type PrismaClient } from "../db/prisma";
import type { Row } from "./db";
import { evaluateOnce } from "./evaluator";
import { ruleHistory } from "./history";
import type { AlertmanagerPayload } from "./payload";
import { createRule } from "./rule-store";
import { acknowledgeAlert, createSilence, endSilence } from "./silence-store";

let db: TestDatabase;
let prisma: PrismaClient;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tick = () => evaluateOnce(db.pool, { baseUrl: "http://dash.test" });

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
  // Never delivered (nothing runs the delivery loop): the outbox rows are what would be sent.
  await db.pool.query("INSERT INTO webhook_endpoint (name, url, secret, format, enabled, created_at) VALUES ('pager', 'http://127.0.0.1:9/', 'whsec_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=', 'alertmanager', 1, UTC_TIMESTAMP(3))");
});
afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

/** The group's duplicate rate over its window becomes exactly `pct` % (1,000 consumed). */
async function setRate(group: string, pct: number): Promise<void> {
  await db.pool.query("DELETE FROM group_stats_minute WHERE consumer_group = ?", [group]);
  await addStats(db.pool, { group, consumed: 1000, dupUnknown: Math.round(pct * 10) });
}

async function sentFor(group: string) {
  const [rows] = await db.pool.query<Row[]>(
    "SELECT payload, consumer_group, notification_status, alerts_summary FROM webhook_message WHERE consumer_group = ? ORDER BY created_at, id",
    [group],
  );
  return rows.map((r) => ({ payload: JSON.parse(String(r.payload)) as AlertmanagerPayload, status: r.notification_status, summary: String(r.alerts_summary) }));
}

describe("a duplicate rate hovering around its threshold", () => {
  it("fires once and resolves once, not at every crossing; the delivery log names alert, state and group", async () => {
    const rule = await createRule({ name: "Hover", kind: "dup_rate", consumerGroup: "hover", threshold: 5, windowS: 300, keepFiringS: 2 }, "test", prisma);
    // 5.1 % / 4.9 % alternating every tick (~0.1 s) for 3 s: 15 crossings each way.
    const deadline = Date.now() + 3000;
    for (let up = true; Date.now() < deadline; up = !up) {
      await setRate("hover", up ? 5.1 : 4.9);
      await tick();
      await sleep(100);
    }
    await setRate("hover", 1);
    const clearFrom = Date.now();
    while ((await sentFor("hover")).length < 2 && Date.now() - clearFrom < 6000) {
      await tick();
      await sleep(100);
    }
    const sent = await sentFor("hover");
    expect(sent.map((s) => s.payload.status)).toEqual(["firing", "resolved"]);
    // The resolve waited for the keep-firing period of clear values.
    expect(Date.now() - clearFrom).toBeGreaterThanOrEqual(2000);
    expect(sent[0]).toMatchObject({ status: "firing", summary: "Hover (firing)" });
    expect(sent[1]).toMatchObject({ status: "resolved", summary: "Hover (resolved)" });
    // "5.1 %" against "> 5 %": the value is shown with the precision the comparison needs.
    expect(sent[0].payload.alerts[0].annotations.summary).toBe("Duplicate rate 5.1 % in group hover");

    const history = await ruleHistory(rule.id, { db: prisma });
    expect(history.groups).toEqual([{ consumerGroup: "hover", fired: 1, resolved: 1, flaps: 0 }]);
  });

  it("a resolve threshold below the firing one: crossings of the threshold alone never resolve it", async () => {
    await createRule({ name: "Hysteresis", kind: "dup_rate", consumerGroup: "hyst", threshold: 5, resolveThreshold: 4, windowS: 300 }, "test", prisma);
    for (const pct of [5.1, 4.9, 5.2, 4.5, 5.05, 4.1, 5.1]) {
      await setRate("hyst", pct);
      await tick();
    }
    expect((await sentFor("hyst")).map((s) => s.payload.status)).toEqual(["firing"]);
    expect((await sentFor("hyst"))[0].payload.alerts[0].annotations.description).toMatch(/resolves at ≤ 4 %/);
    await setRate("hyst", 3.9);
    await tick();
    expect((await sentFor("hyst")).map((s) => s.payload.status)).toEqual(["firing", "resolved"]);
  });

  it("a pending period: a rate above the threshold for less than it sends nothing", async () => {
    await createRule({ name: "Pending", kind: "dup_rate", consumerGroup: "pend", threshold: 5, windowS: 300, forS: 1 }, "test", prisma);
    await setRate("pend", 9);
    expect((await tick()).pending).toBe(1);
    const [[state]] = await db.pool.query<Row[]>("SELECT status FROM alert_state WHERE consumer_group = 'pend'");
    expect(state.status).toBe("pending");
    await setRate("pend", 1);
    await tick();
    const [gone] = await db.pool.query<Row[]>("SELECT status FROM alert_state WHERE consumer_group = 'pend'");
    expect(gone).toEqual([]);
    await setRate("pend", 9);
    await tick();
    await sleep(1100);
    expect((await tick()).fired).toBe(1);
    expect((await sentFor("pend")).map((s) => s.payload.status)).toEqual(["firing"]);
  });
});

describe("silences and acknowledgements", () => {
  it("a silence on the group holds back the fire and the resolve, is audited, and the history shows both", async () => {
    const rule = await createRule({ name: "Silenced", kind: "dup_rate", consumerGroup: "quiet", threshold: 5, windowS: 300 }, "test", prisma);
    const silence = await createSilence({ consumerGroup: "quiet", durationS: 3600, reason: "load test of the quiet group" }, "user:ana@example.com", prisma);
    await setRate("quiet", 9);
    const fired = await tick();
    expect(fired.silenced).toBe(1);
    await setRate("quiet", 1);
    await tick();
    expect(await sentFor("quiet")).toEqual([]);

    const [audit] = await db.pool.query<Row[]>("SELECT actor, action, reason FROM operator_action WHERE action IN ('alert_silence_create', 'alert_silenced') ORDER BY id");
    expect(audit).toEqual([
      { actor: "user:ana@example.com", action: "alert_silence_create", reason: "load test of the quiet group" },
      { actor: "system", action: "alert_silenced", reason: `"Silenced" fired; not sent: silence ${silence.id} by user:ana@example.com (load test of the quiet group)` },
      { actor: "system", action: "alert_silenced", reason: `"Silenced" resolved; not sent: silence ${silence.id} by user:ana@example.com (load test of the quiet group)` },
    ]);
    const history = await ruleHistory(rule.id, { db: prisma });
    expect(history.events.map((e) => [e.event, e.silenceId])).toEqual([
      ["resolved", silence.id],
      ["fired", silence.id],
    ]);
  });

  it("a still-firing alert is sent once its silence ends; a silence on another rule does not hold it", async () => {
    const rule = await createRule({ name: "Muted", kind: "dup_rate", consumerGroup: "muted", threshold: 5, windowS: 300 }, "test", prisma);
    const other = await createRule({ name: "Other", kind: "dlq_growth", consumerGroup: "muted", threshold: 0, windowS: 300 }, "test", prisma);
    const silence = await createSilence({ ruleId: rule.id, durationS: 600, reason: "known issue, fix deploying" }, "user:ana@example.com", prisma);
    await setRate("muted", 9);
    await tick();
    await tick();
    expect(await sentFor("muted")).toEqual([]);
    await addStats(db.pool, { group: "muted", deadLettered: 1 });
    await tick();
    // The DLQ alert is sent; the silenced rule's alert does not ride along.
    expect((await sentFor("muted")).map((s) => s.summary)).toEqual(["Other (firing)"]);
    expect(other.id).not.toBe(rule.id);

    await endSilence(silence.id, "user:bo@example.com", prisma);
    await tick();
    const sent = await sentFor("muted");
    expect(sent).toHaveLength(2);
    expect(sent[1].payload.alerts.map((a) => a.labels.rule).sort()).toEqual(["Muted", "Other"]);
    const [[ended]] = await db.pool.query<Row[]>("SELECT actor FROM operator_action WHERE action = 'alert_silence_end'");
    expect(ended.actor).toBe("user:bo@example.com");
  });

  it("refuses a silence of everything, one without a reason, and acknowledging an alert that is not firing", async () => {
    await expect(createSilence({ durationS: 600, reason: "everything" }, "u", prisma)).rejects.toThrow(/name a rule, a consumer group or both/);
    await expect(createSilence({ consumerGroup: "x", durationS: 600, reason: " " }, "u", prisma)).rejects.toThrow(/say why/);
    const rule = await createRule({ name: "Ack", kind: "dup_rate", consumerGroup: "ack", threshold: 5, windowS: 300 }, "test", prisma);
    await expect(acknowledgeAlert({ ruleId: rule.id, consumerGroup: "ack" }, "u", prisma)).rejects.toThrow(/no alert of rule/);
    await setRate("ack", 9);
    await tick();
    await acknowledgeAlert({ ruleId: rule.id, consumerGroup: "ack", note: "looking into it" }, "user:ana@example.com", prisma);
    const [[state]] = await db.pool.query<Row[]>("SELECT acked_by, ack_note FROM alert_state WHERE consumer_group = 'ack'");
    expect(state).toEqual({ acked_by: "user:ana@example.com", ack_note: "looking into it" });
    await setRate("ack", 1);
    await tick();
    const [[after]] = await db.pool.query<Row[]>("SELECT status, acked_by, acked_at FROM alert_state WHERE consumer_group = 'ack'");
    expect(after).toEqual({ status: "resolved", acked_by: null, acked_at: null });
    await expect(acknowledgeAlert({ ruleId: rule.id, consumerGroup: "ack" }, "u", prisma)).rejects.toThrow(/is resolved, not firing/);
  });
});
