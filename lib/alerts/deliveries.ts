/**
 * The delivery log (one row per attempt) and the outbox, for the dashboard; and "send test".
 * A test notification goes through the same outbox, signing and SSRF guard as a real one, and
 * is delivered by the alert worker (workers/alert-evaluator), never by the dashboard process.
 */
import { z } from "zod";
import { config } from "../config";
import { prisma, type PrismaClient } from "../db/prisma";
import { conflict, notFound } from "../http/errors";
import { idSchema, limitSchema } from "../http/schema";
import { recordAction } from "../operator/audit";
import { buildBody, fingerprintOf, publicBaseUrl, type AlertInstance } from "./payload";
import { newMessageId } from "./signing";

export const deliveryQuerySchema = z.object({
  endpointId: idSchema.optional(),
  messageId: z.string().max(64).optional(),
  /** Only rows with a smaller id (the previous page's nextBefore). */
  before: idSchema.optional(),
  limit: limitSchema(100, 500),
});
/** As the route parsed it (or a caller in code passes it): numbers, not query-string text. */
export type DeliveryQuery = Partial<z.output<typeof deliveryQuerySchema>>;

export interface DeliveryView {
  id: string;
  messageId: string;
  endpointId: number;
  endpointName: string;
  attempt: number;
  ts: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The message's state now: pending (retry scheduled), delivered or failed. */
  messageStatus: string;
  /** What the notification was about (null for messages queued before this was recorded). */
  consumerGroup: string | null;
  notificationStatus: "firing" | "resolved" | null;
  alertsSummary: string | null;
  nextAttemptAt: Date | null;
}

/**
 * A failed attempt's error without what the receiver answered ("HTTP 502: <its body>" → "HTTP
 * 502"): the body can be an internal service's error page (receivers may be on private
 * addresses), for operators only.
 */
export function withoutReceiverBody(error: string | null): string | null {
  return error?.replace(/^(HTTP \d{3}): [\s\S]*$/, "$1") ?? null;
}

/** `receiverBodies`: include what receivers answered to failed attempts (operators and admins). */
export async function listDeliveries(
  query: DeliveryQuery = {},
  db: PrismaClient = prisma(),
  opts: { receiverBodies: boolean } = { receiverBodies: false },
): Promise<{ deliveries: DeliveryView[]; nextBefore: string | null }> {
  const q = { ...query, limit: query.limit ?? 100 };
  const rows = await db.webhookDelivery.findMany({
    where: {
      ...(q.endpointId ? { endpointId: q.endpointId } : {}),
      ...(q.messageId ? { messageId: q.messageId } : {}),
      ...(q.before ? { id: { lt: BigInt(q.before) } } : {}),
    },
    orderBy: { id: "desc" },
    take: q.limit + 1,
    include: { endpoint: { select: { name: true } }, message: { select: { status: true, nextAttemptAt: true, consumerGroup: true, notificationStatus: true, alertsSummary: true } } },
  });
  const deliveries = rows.slice(0, q.limit).map((r) => ({
    id: r.id.toString(),
    messageId: r.messageId,
    endpointId: r.endpointId,
    endpointName: r.endpoint.name,
    attempt: r.attempt,
    ts: r.ts,
    statusCode: r.statusCode,
    latencyMs: r.latencyMs,
    error: opts.receiverBodies ? r.error : withoutReceiverBody(r.error),
    messageStatus: r.message.status,
    consumerGroup: r.message.consumerGroup,
    notificationStatus: r.message.notificationStatus,
    alertsSummary: r.message.alertsSummary,
    nextAttemptAt: r.message.status === "pending" ? r.message.nextAttemptAt : null,
  }));
  return { deliveries, nextBefore: rows.length > q.limit ? deliveries[deliveries.length - 1].id : null };
}

/** Outbox rows (one per notification per endpoint) with their payload, newest first. */
export async function listMessages(opts: { endpointId?: number; status?: "pending" | "delivered" | "failed"; limit?: number } = {}, db: PrismaClient = prisma()) {
  const rows = await db.webhookMessage.findMany({
    where: { ...(opts.endpointId ? { endpointId: opts.endpointId } : {}), ...(opts.status ? { status: opts.status } : {}) },
    orderBy: { createdAt: "desc" },
    take: Math.min(opts.limit ?? 100, 500),
  });
  return rows.map((m) => ({ id: m.id, endpointId: m.endpointId, status: m.status, attempts: m.attempts, nextAttemptAt: m.nextAttemptAt, createdAt: m.createdAt, payload: m.payload }));
}

export const TEST_GROUP = "dedup-audit-test";

export interface TestSendResult {
  messageId: string;
  /** queued: the alert worker has not tried yet (is it running?). */
  status: "queued" | "pending" | "delivered" | "failed";
  firstAttempt: { statusCode: number | null; latencyMs: number; error: string | null } | null;
}

/**
 * Queue a test notification to one endpoint and wait (up to `waitMs`) for its first attempt,
 * so the "send test" button can show the receiver's answer.
 */
export async function sendTestNotification(endpointId: number, actor: string, opts: { waitMs?: number; db?: PrismaClient } = {}): Promise<TestSendResult> {
  const db = opts.db ?? prisma();
  const e = await db.webhookEndpoint.findUnique({ where: { id: endpointId } });
  if (!e) throw notFound(`webhook endpoint ${endpointId} does not exist`);
  if (!e.enabled) throw conflict(`webhook endpoint "${e.name}" is disabled${e.disabledReason ? ` (${e.disabledReason})` : ""}; enable it first`);
  const now = new Date();
  const labels = { alertname: "DedupTestNotification", consumer_group: TEST_GROUP, severity: "info", kind: "test" };
  const alert: AlertInstance = {
    status: "firing",
    labels,
    annotations: { summary: "Test notification from dedup-audit", description: `Sent by ${actor} from the alerts page to check this receiver.` },
    startsAt: now,
    endsAt: null,
    generatorURL: `${publicBaseUrl()}/alerts`,
    fingerprint: fingerprintOf(labels),
  };
  const id = newMessageId();
  const payload = buildBody(e.format, { receiver: e.name, consumerGroup: TEST_GROUP, alerts: [alert] });
  await db.$transaction(async (tx) => {
    await tx.webhookMessage.create({
      data: { id, endpointId, payload, status: "pending", attempts: 0, nextAttemptAt: now, createdAt: now, consumerGroup: TEST_GROUP, notificationStatus: "firing", alertsSummary: "Test notification" },
    });
    await recordAction(tx, { actor, action: "webhook_test", reason: `endpoint "${e.name}"`, result: "ok", detail: { endpointId, messageId: id } });
  });
  const deadline = Date.now() + (opts.waitMs ?? (config().WEBHOOK_TIMEOUT_S + 3) * 1000);
  for (;;) {
    const first = await db.webhookDelivery.findFirst({ where: { messageId: id }, orderBy: { attempt: "asc" } });
    if (first || Date.now() >= deadline) {
      const m = await db.webhookMessage.findUnique({ where: { id }, select: { status: true } });
      return {
        messageId: id,
        status: first ? (m?.status ?? "failed") : "queued",
        firstAttempt: first ? { statusCode: first.statusCode, latencyMs: first.latencyMs, error: first.error } : null,
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
