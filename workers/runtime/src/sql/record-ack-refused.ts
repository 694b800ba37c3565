/**
 * Write down that the broker refused this worker's ack of a msgId (its receipt handle had expired)
 * or never answered it: the copy comes back, and its next arrival is a redelivery, not a replay
 * (claim/cause.ts). Off the happy path: an ack the broker takes writes nothing.
 */
import type { Db } from "./common.js";

export async function recordAckRefused(db: Db, group: string, msgIds: string[], worker: string): Promise<void> {
  if (msgIds.length === 0) return;
  await db.query(
    `INSERT INTO dedup_ack_refused (consumer_group, msg_id, worker, refused_at) VALUES ${msgIds.map(() => "(?, ?, ?, UTC_TIMESTAMP(3))").join(", ")}` +
      " ON DUPLICATE KEY UPDATE worker = ?, refused_at = UTC_TIMESTAMP(3)",
    [...msgIds.flatMap((id) => [group, id, worker]), worker],
  );
}
