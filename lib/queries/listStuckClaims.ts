/**
 * Stuck claims — CLAIMED with the lease run out — with their owner's liveness, one page at a time
 * in the chosen order, and how many match in all (the same conditions counted, so a tile, a page
 * total and "select all matching" agree). Index range on idx_claim_stuck (state, lease_until,
 * consumer_group, owner), the group checked inside the index; the owner is a primary-key lookup
 * in worker_instance.
 */
import { Prisma } from "../generated/prisma/client";
import { prisma } from "../db/prisma";
import { liveSince } from "./getStuckSummary";
import { viewKey, type KeyView } from "./keys";

export interface StuckClaim extends KeyView {
  id: string;
  fence: string;
  consumerGroup: string;
  topic: string;
  tag: string;
  keySource: string;
  owner: string;
  ownerAlive: boolean;
  /** live / left / dead, or null when the owner never registered. */
  ownerState: string | null;
  ownerHeartbeatAt: Date | null;
  attempts: number;
  firstMsgId: string;
  lastMsgId: string;
  queue: string;
  claimedAt: Date;
  leaseUntil: Date;
  stuckForS: number;
}

export interface StuckFilter {
  group?: string;
  topic?: string;
  /** Only claims stuck for at least this long. */
  minStuckS?: number;
  ownerAlive?: "yes" | "no";
  limit: number;
  /** Rows of the order to skip (paging). */
  offset?: number;
  sort?: StuckSort;
}

/** Stuck longest first (the default), shortest first, most deliveries first, or by group. */
export const STUCK_SORTS = ["stuck_desc", "stuck_asc", "deliveries_desc", "group"] as const;
export type StuckSort = (typeof STUCK_SORTS)[number];

const ORDER_BY: Record<StuckSort, Prisma.Sql> = {
  stuck_desc: Prisma.sql`c.lease_until ASC, c.id ASC`,
  stuck_asc: Prisma.sql`c.lease_until DESC, c.id DESC`,
  deliveries_desc: Prisma.sql`c.attempts DESC, c.lease_until ASC, c.id ASC`,
  group: Prisma.sql`c.consumer_group ASC, c.lease_until ASC, c.id ASC`,
};

export interface StuckPage {
  claims: StuckClaim[];
  /** Every stuck claim matching the filter, not only this page's. */
  total: number;
  /** More match than this page shows (after it). */
  truncated: boolean;
}

interface Row {
  id: bigint;
  fence: bigint;
  consumer_group: string;
  topic: string;
  tag: string;
  dedup_key: Uint8Array;
  key_source: string;
  owner: string;
  attempts: number;
  first_msg_id: string;
  last_msg_id: string;
  queue: string;
  claimed_at: Date;
  lease_until: Date;
  worker_state: string | null;
  heartbeat_at: Date | null;
  alive: unknown;
}

export async function listStuckClaims(f: StuckFilter, now = new Date()): Promise<StuckPage> {
  const cutoff = new Date(now.getTime() - (f.minStuckS ?? 0) * 1000);
  const alive = Prisma.sql`(w.state = 'live' AND w.heartbeat_at >= ${liveSince(now)})`;
  const conditions = [
    Prisma.sql`c.state = 'CLAIMED'`,
    Prisma.sql`c.lease_until < ${cutoff}`,
    f.group === undefined ? undefined : Prisma.sql`c.consumer_group = ${f.group}`,
    f.topic === undefined ? undefined : Prisma.sql`c.topic = ${f.topic}`,
    f.ownerAlive === "yes" ? alive : f.ownerAlive === "no" ? Prisma.sql`NOT (${alive} <=> 1)` : undefined,
  ].filter((c): c is Prisma.Sql => c !== undefined);

  const where = Prisma.join(conditions, " AND ");
  const offset = f.offset ?? 0;
  const [rows, [count]] = await Promise.all([
    prisma().$queryRaw<Row[]>`
    SELECT c.id, c.fence, c.consumer_group, c.topic, c.tag, c.dedup_key, c.key_source, c.owner, c.attempts,
           c.first_msg_id, c.last_msg_id, c.queue, c.claimed_at, c.lease_until,
           w.state AS worker_state, w.heartbeat_at, ${alive} AS alive
      FROM dedup_claim c
      LEFT JOIN worker_instance w ON w.id = c.owner
     WHERE ${where}
     ORDER BY ${ORDER_BY[f.sort ?? "stuck_desc"]}
     LIMIT ${f.limit} OFFSET ${offset}`,
    prisma().$queryRaw<{ n: bigint }[]>`
    SELECT COUNT(*) AS n FROM dedup_claim c LEFT JOIN worker_instance w ON w.id = c.owner WHERE ${where}`,
  ]);
  const total = Number(count?.n ?? 0);

  const claims = rows.map(
    (r): StuckClaim => ({
      id: r.id.toString(),
      fence: r.fence.toString(),
      consumerGroup: r.consumer_group,
      topic: r.topic,
      tag: r.tag,
      ...viewKey(r.dedup_key),
      keySource: r.key_source,
      owner: r.owner,
      ownerAlive: Number(r.alive) === 1,
      ownerState: r.worker_state,
      ownerHeartbeatAt: r.heartbeat_at,
      attempts: Number(r.attempts),
      firstMsgId: r.first_msg_id,
      lastMsgId: r.last_msg_id,
      queue: r.queue,
      claimedAt: r.claimed_at,
      leaseUntil: r.lease_until,
      stuckForS: Math.max(0, Math.round((now.getTime() - r.lease_until.getTime()) / 1000)),
    }),
  );
  return { claims, total, truncated: offset + claims.length < total };
}
