/**
 * Rebalances of one group inside a window (idx_rebalance_group_ts), for the chart markers, each
 * with the rebalance replays it caused. A marker stands at the time its worker was last seen
 * alive — for a heartbeat timeout that is its last heartbeat, seconds before the registry noticed
 * the silence, and the broker hands the dead worker's copies out from the death on. Only a
 * departure (leave, timeout) makes the broker send copies again, so a replay belongs to the last
 * departure before it: its window runs from that departure to the next one (or the chart's end).
 * The page's per-marker count and the list a click shows both come from these windows.
 */
import { Prisma } from "../generated/prisma/client";
import { prisma } from "../db/prisma";
import { parseStringList } from "./json";
import type { ReplayWindow } from "./listRecentEvents";

export interface RebalanceMarker {
  id: string;
  /** When the worker was last seen alive: where the marker is drawn. */
  at: Date;
  /** When the registry wrote the event (for a timeout, when it noticed the silence). */
  noticedAt: Date;
  kind: string;
  workerId: string;
  membersBefore: string[];
  membersAfter: string[];
  /** The replays attributed to this rebalance (a join has none: it hands no copy out again). */
  replays: number;
  replayWindow: ReplayWindow | null;
}

const DEPARTURES = new Set(["leave", "timeout"]);

/** Each departure's replay window: from its time to the next departure's (half-open), the last to `end`. */
export function replayWindows(markers: { id: string; at: Date; kind: string }[], end: Date): Map<string, ReplayWindow> {
  const departures = markers.filter((m) => DEPARTURES.has(m.kind)).sort((a, b) => a.at.getTime() - b.at.getTime());
  return new Map(departures.map((m, i) => [m.id, { from: m.at, to: departures[i + 1]?.at ?? end }]));
}

export async function listRebalanceEvents(group: string, from: Date, end: Date, limit = 200): Promise<RebalanceMarker[]> {
  const rows = await prisma().rebalanceEvent.findMany({
    where: { consumerGroup: group, ts: { gte: from } },
    orderBy: { ts: "desc" },
    take: limit,
  });
  const markers = rows.map((r) => ({
    id: r.id.toString(),
    at: r.lastSeenAt ?? r.ts,
    noticedAt: r.ts,
    kind: r.kind,
    workerId: r.workerId,
    membersBefore: parseStringList(r.membersBefore),
    membersAfter: parseStringList(r.membersAfter),
  }));
  markers.sort((a, b) => a.at.getTime() - b.at.getTime() || Number(a.id) - Number(b.id));
  const windows = replayWindows(markers, end);
  const counts = await countReplays(group, windows);
  return markers.map((m) => ({ ...m, replays: counts.get(m.id) ?? 0, replayWindow: windows.get(m.id) ?? null }));
}

/** Rebalance replays per window, in one round trip (one idx_event_group_ts range per window). */
async function countReplays(group: string, windows: Map<string, ReplayWindow>): Promise<Map<string, number>> {
  if (windows.size === 0) return new Map();
  const table = Prisma.join(
    [...windows].map(([id, w]) => Prisma.sql`SELECT ${id} AS id, ${w.from} AS f, ${w.to} AS t`),
    " UNION ALL ",
  );
  const rows = await prisma().$queryRaw<{ id: string; n: bigint }[]>`
    SELECT w.id, (SELECT COUNT(*) FROM dedup_event e
                   WHERE e.consumer_group = ${group} AND e.ts >= w.f AND e.ts < w.t AND e.cause = 'rebalance_replay' AND e.kind IN ('duplicate', 'rerun')) AS n
      FROM (${table}) w`;
  return new Map(rows.map((r) => [String(r.id), Number(r.n)]));
}
