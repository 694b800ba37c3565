/**
 * Workers per group: live now, and all seen in the window (live, or heartbeat/stop inside it).
 * worker_instance holds one row per process start — thousands at most, never per message.
 */
import { prisma } from "../db/prisma";
import { liveSince } from "./getStuckSummary";
import { toNumber } from "./time";

export interface WorkerCounts {
  live: number;
  total: number;
}

export async function getWorkerCounts(from: Date, now = new Date()): Promise<Map<string, WorkerCounts>> {
  const rows = await prisma().$queryRaw<{ consumer_group: string; live: unknown; total: bigint }[]>`
    SELECT consumer_group,
           SUM(state = 'live' AND heartbeat_at >= ${liveSince(now)}) AS live,
           COUNT(*) AS total
      FROM worker_instance
     WHERE state = 'live' OR heartbeat_at >= ${from}
     GROUP BY consumer_group`;
  return new Map(rows.map((r) => [r.consumer_group, { live: toNumber(r.live), total: toNumber(r.total) }]));
}
