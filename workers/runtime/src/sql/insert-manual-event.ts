/** The claim event an operator's release or mark-done leaves in the key's history (dedup_event). */
import type { Db } from "./common.js";

export async function insertManualEvent(
  db: Db,
  e: { group: string; topic: string; tag: string; key: Buffer; msgId: string; action: "release" | "mark_done"; fence: number; actor: string; reason: string },
): Promise<void> {
  const released = e.action === "release";
  await db.query(
    `INSERT INTO dedup_event (ts, consumer_group, topic, tag, dedup_key, msg_id, kind, outcome, fence, detail)
     VALUES (UTC_TIMESTAMP(3), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.group, e.topic, e.tag, e.key, e.msgId, released ? "manual_release" : "manual_done", released ? "released_by_operator" : "marked_done_by_operator", e.fence, JSON.stringify({ actor: e.actor, reason: e.reason })],
  );
}
