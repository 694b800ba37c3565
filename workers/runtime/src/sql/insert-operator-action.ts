/** One row of the append-only operator audit (operator_action), refusals included. */
import type { Db } from "./common.js";

export interface OperatorActionRow {
  actor: string;
  action: "release" | "mark_done";
  group: string;
  topic?: string;
  tag?: string;
  key: Buffer;
  fenceSeen?: number;
  reason: string;
  result: string;
  detail: unknown;
}

export async function insertOperatorAction(db: Db, a: OperatorActionRow): Promise<void> {
  await db.query(
    `INSERT INTO operator_action (ts, actor, action, consumer_group, topic, tag, dedup_key, fence_seen, reason, result, detail)
     VALUES (UTC_TIMESTAMP(3), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [a.actor.slice(0, 255), a.action, a.group, a.topic ?? null, a.tag ?? null, a.key, a.fenceSeen ?? null, a.reason, a.result, JSON.stringify(a.detail)],
  );
}
