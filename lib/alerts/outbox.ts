/**
 * The webhook outbox: one webhook_message row per (notification, endpoint). Inserted inside the
 * caller's transaction (the evaluator's state change), delivered later by delivery.ts. The row id
 * is the webhook-id every attempt carries.
 */
import type mysql from "mysql2/promise";
import type { Queryable, Row } from "./db";
import { buildBody, type AlertInstance } from "./payload";
import { newMessageId } from "./signing";

export async function insertMessage(db: Queryable, endpointId: number, body: string, now: Date): Promise<string> {
  const id = newMessageId();
  await db.query(
    `INSERT INTO webhook_message (id, endpoint_id, payload, status, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
    [id, endpointId, body, now, now],
  );
  return id;
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
    await insertMessage(conn, Number(e.id), body, n.now);
  }
  return endpoints.length;
}
