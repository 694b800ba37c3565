/**
 * Claims still CLAIMED whose lease ran out by the database clock (stuck), each marked held when
 * a worker under the hold policy left it for an operator (an expiry event with outcome 'held'
 * since the claim was taken). Read through idx_claim_stuck; the held check is one lookup of
 * idx_event_group_key_ts per stuck claim, and the stuck set is small.
 */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export interface ExpiredClaim {
  id: number;
  group: string;
  topic: string;
  tag: string;
  key: Buffer;
  owner: string;
  fence: number;
  attempts: number;
  claimedAt: Date;
  leaseUntil: Date | null;
  held: boolean;
}

export async function listExpiredClaims(db: Db, opts: { group?: string; limit: number }): Promise<ExpiredClaim[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT c.id, c.consumer_group, c.topic, c.tag, c.dedup_key, c.owner, c.fence, c.attempts, c.claimed_at, c.lease_until,
            EXISTS (SELECT 1 FROM dedup_event e
                     WHERE e.consumer_group = c.consumer_group AND e.dedup_key = c.dedup_key AND e.ts >= c.claimed_at
                       AND e.kind = 'expiry' AND e.outcome = 'held') AS held
       FROM dedup_claim c
      WHERE c.state = 'CLAIMED' AND c.lease_until < UTC_TIMESTAMP(3) ${opts.group === undefined ? "" : "AND c.consumer_group = ?"}
      ORDER BY c.lease_until
      LIMIT ?`,
    opts.group === undefined ? [opts.limit] : [opts.group, opts.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    group: String(r.consumer_group),
    topic: String(r.topic),
    tag: String(r.tag),
    key: r.dedup_key as Buffer,
    owner: String(r.owner),
    fence: Number(r.fence),
    attempts: Number(r.attempts),
    claimedAt: r.claimed_at as Date,
    leaseUntil: (r.lease_until as Date | null) ?? null,
    held: Number(r.held) === 1,
  }));
}
