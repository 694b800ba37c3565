/**
 * Stuck claims — CLAIMED with the lease run out — with their owner's liveness, oldest first.
 * Index range on idx_claim_stuck (state, lease_until, consumer_group, owner) in lease order, the
 * group checked inside the index; the owner is a primary-key lookup in worker_instance.
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

export async function listStuckClaims(f: StuckFilter, now = new Date()): Promise<{ claims: StuckClaim[]; truncated: boolean }> {
  const cutoff = new Date(now.getTime() - (f.minStuckS ?? 0) * 1000);
  const alive = Prisma.sql`(w.state = 'live' AND w.heartbeat_at >= ${liveSince(now)})`;
  const conditions = [
    Prisma.sql`c.state = 'CLAIMED'`,
    Prisma.sql`c.lease_until < ${cutoff}`,
    f.group === undefined ? undefined : Prisma.sql`c.consumer_group = ${f.group}`,
    f.topic === undefined ? undefined : Prisma.sql`c.topic = ${f.topic}`,
    f.ownerAlive === "yes" ? alive : f.ownerAlive === "no" ? Prisma.sql`NOT (${alive} <=> 1)` : undefined,
  ].filter((c): c is Prisma.Sql => c !== undefined);

  const rows = await prisma().$queryRaw<Row[]>`
    SELECT c.id, c.fence, c.consumer_group, c.topic, c.tag, c.dedup_key, c.key_source, c.owner, c.attempts,
           c.first_msg_id, c.last_msg_id, c.queue, c.claimed_at, c.lease_until,
           w.state AS worker_state, w.heartbeat_at, ${alive} AS alive
      FROM dedup_claim c
      LEFT JOIN worker_instance w ON w.id = c.owner
     WHERE ${Prisma.join(conditions, " AND ")}
     ORDER BY c.lease_until ASC
     LIMIT ${f.limit + 1}`;

  const claims = rows.slice(0, f.limit).map(
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
  return { claims, truncated: rows.length > f.limit };
}
