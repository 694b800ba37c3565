/** The claims of one key in one group (any topic or tag unless given): what an operator names from a shell. */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export interface KeyClaim {
  id: number;
  topic: string;
  tag: string;
  state: "CLAIMED" | "DONE";
  owner: string;
  fence: number;
  leaseUntil: Date | null;
  lastMsgId: string;
  /** lease_until is in the past by the database clock. */
  expired: boolean;
}

export async function findClaimsByKey(db: Db, where: { group: string; key: Buffer; topic?: string; tag?: string }): Promise<KeyClaim[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT id, topic, tag, state, owner, fence, lease_until, last_msg_id,
            (lease_until IS NULL OR lease_until < UTC_TIMESTAMP(3)) AS expired
       FROM dedup_claim
      WHERE dedup_key = ? AND consumer_group = ?${where.topic === undefined ? "" : " AND topic = ?"}${where.tag === undefined ? "" : " AND tag = ?"}
      ORDER BY topic, tag`,
    [where.key, where.group, ...(where.topic === undefined ? [] : [where.topic]), ...(where.tag === undefined ? [] : [where.tag])],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    topic: String(r.topic),
    tag: String(r.tag),
    state: r.state as KeyClaim["state"],
    owner: String(r.owner),
    fence: Number(r.fence),
    leaseUntil: (r.lease_until as Date | null) ?? null,
    lastMsgId: String(r.last_msg_id),
    expired: Number(r.expired) === 1,
  }));
}
