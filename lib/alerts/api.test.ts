/**
 * The functions the dashboard's API routes call: rule and endpoint CRUD (validated, audited),
 * URL refusal at creation, the delivery log, and "send test" through the real delivery loop.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { createTestDatabase, type TestDatabase } from "../../test/support/db";
import { createPrisma, type PrismaClient } from "../db/prisma";
import { HttpError } from "../http/errors";
import { listDeliveries, sendTestNotification } from "./deliveries";
import { startDelivery } from "./delivery";
import { createEndpoint, deleteEndpoint, listEndpoints, rotateEndpointSecret, updateEndpoint } from "./endpoint-store";
import { alertmanagerPayloadSchema } from "./payload";
import { createRule, deleteRule, listRules, ruleCreateSchema, updateRule } from "./rule-store";
import type { Resolver } from "./ssrf";
import { startReceiver, type Receiver } from "../../test/support/alerts/receiver";
import { installSocketGuard, type SocketGuard } from "../../test/support/alerts/socket-guard";

const resolver: Resolver = async (host) => {
  if (host === "metadata.test") return [{ address: "169.254.169.254", family: 4 }];
  if (host === "corp.test") return [{ address: "10.0.0.1", family: 4 }];
  throw new Error(`ENOTFOUND ${host}`);
};
const guardOpts = { allow: ["loopback" as const], resolver };

let db: TestDatabase;
let prisma: PrismaClient;
let receiver: Receiver;
let socketGuard: SocketGuard;
beforeAll(async () => {
  socketGuard = installSocketGuard();
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
  receiver = await startReceiver();
});
afterAll(async () => {
  await prisma.$disconnect();
  await receiver.close();
  await db.drop();
  socketGuard.restore();
});

const audit = async (action: string) => prisma.operatorAction.count({ where: { action, actor: "admin@test" } });

describe("rules", () => {
  it("validates thresholds and windows per kind", () => {
    expect(ruleCreateSchema.safeParse({ name: "x", kind: "dup_rate", threshold: 150, windowS: 300 }).success).toBe(false);
    expect(ruleCreateSchema.safeParse({ name: "x", kind: "dup_rate", threshold: 5, windowS: 10 }).success).toBe(false);
    expect(ruleCreateSchema.safeParse({ name: "x", kind: "replays", threshold: 0, windowS: 300 }).success).toBe(false);
    expect(ruleCreateSchema.safeParse({ name: "x", kind: "stuck_claims", threshold: 1.5, windowS: 0 }).success).toBe(false);
    expect(ruleCreateSchema.safeParse({ name: "x", kind: "no_live_worker", threshold: 0, windowS: 15, consumerGroup: "bad group!" }).success).toBe(false);
    expect(ruleCreateSchema.parse({ name: "x", kind: "stuck_claims", threshold: 0, windowS: 0 })).toMatchObject({ consumerGroup: null, severity: "warning", enabled: true });
  });

  it("creates, lists, updates and deletes, auditing each change", async () => {
    const r = await createRule({ name: "Orders dup rate", kind: "dup_rate", threshold: 2.5, windowS: 600, consumerGroup: "orders" }, "admin@test", prisma);
    expect(r).toMatchObject({ kind: "dup_rate", consumerGroup: "orders", condition: "> 2.5 % in 600 s", firing: [] });
    const updated = await updateRule(r.id, { threshold: 10, enabled: false }, "admin@test", prisma);
    expect(updated).toMatchObject({ threshold: 10, enabled: false, kind: "dup_rate" });
    await expect(updateRule(r.id, { threshold: 101 }, "admin@test", prisma)).rejects.toBeInstanceOf(ZodError);
    await expect(updateRule(r.id, { kind: "replays" } as never, "admin@test", prisma)).rejects.toBeInstanceOf(ZodError);
    expect((await listRules(prisma)).map((x) => x.id)).toContain(r.id);
    await deleteRule(r.id, "admin@test", prisma);
    await expect(deleteRule(r.id, "admin@test", prisma)).rejects.toMatchObject({ status: 404 });
    expect([await audit("alert_rule_create"), await audit("alert_rule_update"), await audit("alert_rule_delete")]).toEqual([1, 1, 1]);
  });
});

describe("endpoints", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/", /cloud metadata/],
    ["http://10.0.0.1/hook", /10\.0\.0\.1 is private/],
    ["http://[::ffff:10.0.0.1]/hook", /private/],
    ["http://metadata.test/hook", /resolves to 169\.254\.169\.254/],
    ["http://corp.test/hook", /resolves to 10\.0\.0\.1/],
  ])("refuses %s at creation with a 400 and creates nothing", async (url, why) => {
    const before = socketGuard.calls.length;
    const err = await createEndpoint({ name: "bad", url }, "admin@test", { guard: guardOpts, db: prisma }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).message).toMatch(why);
    expect(await prisma.webhookEndpoint.count({ where: { name: "bad" } })).toBe(0);
    expect(socketGuard.calls.slice(before).filter((c) => c.port === 80 || c.blocked)).toEqual([]);
  });

  it("creates with a whsec_ secret shown once, lists it masked, checks new URLs on update, rotates", async () => {
    const e = await createEndpoint({ name: "ops", url: receiver.url }, "admin@test", { guard: guardOpts, db: prisma });
    expect(e.secret).toMatch(/^whsec_/);
    const listed = (await listEndpoints(prisma)).find((x) => x.id === e.id)!;
    expect(listed).toMatchObject({ name: "ops", format: "alertmanager", enabled: true, secretHint: `whsec_…${e.secret.slice(-4)}` });
    expect(JSON.stringify(listed)).not.toContain(e.secret.slice(6));
    await expect(updateEndpoint(e.id, { url: "http://10.0.0.1/x" }, "admin@test", { guard: guardOpts, db: prisma })).rejects.toMatchObject({ status: 400 });
    const { secret } = await rotateEndpointSecret(e.id, "admin@test", prisma);
    expect(secret).not.toBe(e.secret);
    await deleteEndpoint(e.id, "admin@test", prisma);
    expect(await listEndpoints(prisma)).toEqual([]);
  });

  it("re-enabling clears the reason an endpoint was disabled", async () => {
    const e = await createEndpoint({ name: "gone", url: receiver.url }, "admin@test", { guard: guardOpts, db: prisma });
    await prisma.webhookEndpoint.update({ where: { id: e.id }, data: { enabled: false, disabledReason: "receiver answered 410 Gone" } });
    await expect(sendTestNotification(e.id, "admin@test", { db: prisma, waitMs: 0 })).rejects.toMatchObject({ status: 409 });
    expect(await updateEndpoint(e.id, { enabled: true }, "admin@test", { guard: guardOpts, db: prisma })).toMatchObject({ enabled: true, disabledReason: null });
    await deleteEndpoint(e.id, "admin@test", prisma);
  });
});

describe("send test and delivery log", () => {
  it("delivers a signed Alertmanager test notification and shows the attempt in the log", async () => {
    const e = await createEndpoint({ name: "ops2", url: receiver.url }, "admin@test", { guard: guardOpts, db: prisma });
    receiver.script([{ status: 502 }]);
    const loop = startDelivery({ pool: db.pool, pollIntervalS: 0.05, backoff: { baseS: 0.05, capS: 0.1 }, guard: guardOpts });
    try {
      const result = await sendTestNotification(e.id, "admin@test", { db: prisma, waitMs: 3000 });
      // The first attempt's answer is shown; the retry may already have happened by now.
      expect(result.firstAttempt).toMatchObject({ statusCode: 502, error: "HTTP 502: scripted failure" });
      expect(["pending", "delivered"]).toContain(result.status);
      await receiver.waitFor(2, 3000);
      const req = receiver.requests[1];
      expect(req.headers["webhook-id"]).toBe(result.messageId);
      const body = alertmanagerPayloadSchema.parse(new Webhook(e.secret).verify(req.body, req.headers));
      expect(body.alerts[0].labels.alertname).toBe("DedupTestNotification");
      await new Promise((r) => setTimeout(r, 200));
      const log = await listDeliveries({ endpointId: e.id }, prisma);
      expect(log.deliveries.map((d) => [d.attempt, d.statusCode, d.messageStatus])).toEqual([
        [2, 200, "delivered"],
        [1, 502, "delivered"],
      ]);
      expect(log.deliveries[0]).toMatchObject({ endpointName: "ops2", messageId: result.messageId });
      const page = await listDeliveries({ endpointId: e.id, limit: 1 }, prisma);
      expect(page.deliveries).toHaveLength(1);
      expect((await listDeliveries({ endpointId: e.id, before: Number(page.nextBefore) }, prisma)).deliveries[0].attempt).toBe(1);
      expect(await audit("webhook_test")).toBe(1);
    } finally {
      await loop.stop();
    }
  });

  it("reports 'queued' when no alert worker picks the message up in time", async () => {
    const e = await createEndpoint({ name: "ops3", url: receiver.url }, "admin@test", { guard: guardOpts, db: prisma });
    expect(await sendTestNotification(e.id, "admin@test", { db: prisma, waitMs: 100 })).toMatchObject({ status: "queued", firstAttempt: null });
  });
});
