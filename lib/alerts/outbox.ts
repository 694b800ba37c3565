/**
 * The webhook outbox: one webhook_message row per (notification, endpoint). Inserted inside the
 * caller's transaction (the evaluator's state change), delivered later by delivery.ts. The row id
 * is the webhook-id every attempt carries.
 */
import type mysql from "mysql2/promise";
import type { Queryable, Row } from "./db";
import { buildBody, type AlertInstance } from "./payload";
import { newMessageId } from "./signing";

/** What a notification is about, stored beside it so the delivery log can name it. */
export interface MessageSubject {
  consumerGroup: string;
  status: "firing" | "resolved";
  /** "Duplicate rate above 5 % (firing), No live worker (resolved)". */
  summary: string;
}

export async function insertMessage(db: Queryable, endpointId: number, body: string, now: Date, subject?: MessageSubject): Promise<string> {
  const id = newMessageId();
  await db.query(
    `INSERT INTO webhook_message (id, endpoint_id, payload, status, attempts, next_attempt_at, created_at, consumer_group, notification_status, alerts_summary)
     VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`,
    [id, endpointId, body, now, now, subject?.consumerGroup ?? null, subject?.status ?? null, subject?.summary.slice(0, 1024) ?? null],
  );
  return id;
}

/** As Alertmanager: a notification is "firing" while any of its alerts fires. */
export function subjectOf(n: GroupNotification): MessageSubject {
  return {
    consumerGroup: n.consumerGroup,
    status: n.alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    summary: n.alerts.map((a) => `${a.labels.rule ?? a.labels.alertname} (${a.status})`).join(", "),
  };
}

export interface GroupNotification {
  consumerGroup: string;
  alerts: AlertInstance[];
  baseUrl: string;
  now: Date;
}

/** One outbox row per enabled endpoint, each in the endpoint's format. Returns the row count. */
export async function enqueueForEnabledEndpoints(conn: mysql.PoolConnection, n: GroupNotification): Promise<number> {
  // LOCK IN SHARE MODE: an endpoint deleted concurrently waits for us instead of leaving an
  // orphan insert to fail the whole transaction on its foreign key.
  const [endpoints] = await conn.query<Row[]>("SELECT id, name, format FROM webhook_endpoint WHERE enabled = 1 ORDER BY id LOCK IN SHARE MODE");
  for (const e of endpoints) {
    const body = buildBody(e.format === "slack" ? "slack" : "alertmanager", {
      receiver: String(e.name),
      consumerGroup: n.consumerGroup,
      alerts: n.alerts,
      baseUrl: n.baseUrl,
    });
    await insertMessage(conn, Number(e.id), body, n.now, subjectOf(n));
  }
  return endpoints.length;
}
