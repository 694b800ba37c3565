/**
 * Stuck claims per group: CLAIMED with the lease run out (index-only range on idx_claim_stuck,
 * which carries consumer_group and owner; a small set unless something is wrong), and how many of
 * them are orphaned — the owner has no live heartbeat.
 */
import { config } from "../config";
import { prisma } from "../db/prisma";
import { toNumber } from "./time";

export interface StuckSummary {
  count: number;
  orphaned: number;
  oldestLeaseUntil: Date | null;
  oldestStuckS: number;
}

/** A worker counts as alive while its state is live and its heartbeat is recent. */
export function liveSince(now: Date): Date {
  return new Date(now.getTime() - config().WORKER_TIMEOUT_S * 1000);
}

export async function getStuckSummary(now = new Date()): Promise<Map<string, StuckSummary>> {
  const rows = await prisma().$queryRaw<{ consumer_group: string; n: bigint; orphaned: unknown; oldest: Date | null }[]>`
    SELECT c.consumer_group, COUNT(*) AS n, MIN(c.lease_until) AS oldest,
           SUM(w.id IS NULL OR w.state <> 'live' OR w.heartbeat_at < ${liveSince(now)}) AS orphaned
      FROM dedup_claim c
      LEFT JOIN worker_instance w ON w.id = c.owner
     WHERE c.state = 'CLAIMED' AND c.lease_until < ${now}
     GROUP BY c.consumer_group`;
  return new Map(
    rows.map((r) => [
      r.consumer_group,
      {
        count: toNumber(r.n),
        orphaned: toNumber(r.orphaned),
        oldestLeaseUntil: r.oldest,
        oldestStuckS: r.oldest ? Math.max(0, Math.round((now.getTime() - r.oldest.getTime()) / 1000)) : 0,
      },
    ]),
  );
}
