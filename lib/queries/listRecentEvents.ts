/** The newest dedup events of one group (idx_event_group_ts, newest first, bounded). */
import { prisma } from "../db/prisma";
import type { DedupEvent } from "../generated/prisma/client";
import { viewKey, type KeyView } from "./keys";

export interface EventView extends KeyView {
  id: string;
  ts: Date;
  consumerGroup: string;
  topic: string;
  tag: string;
  msgId: string;
  kind: string;
  cause: string | null;
  outcome: string | null;
  worker: string | null;
  fence: string | null;
  deliveryAttempt: number | null;
  detail: string | null;
}

export function viewEvent(e: DedupEvent): EventView {
  return {
    id: e.id.toString(),
    ts: e.ts,
    consumerGroup: e.consumerGroup,
    topic: e.topic,
    tag: e.tag,
    ...viewKey(e.dedupKey),
    msgId: e.msgId,
    kind: e.kind,
    cause: e.cause,
    outcome: e.outcome,
    worker: e.worker,
    fence: e.fence === null ? null : e.fence.toString(),
    deliveryAttempt: e.deliveryAttempt,
    detail: e.detail,
  };
}

/** Only the duplicates a rebalance replayed between `from` and `to` (a chart marker's replays). */
export interface ReplayWindow {
  from: Date;
  to: Date;
}

export async function listRecentEvents(group: string, limit = 50, replays?: ReplayWindow): Promise<EventView[]> {
  const where = replays ? { consumerGroup: group, cause: "rebalance_replay" as const, ts: { gte: replays.from, lte: replays.to } } : { consumerGroup: group };
  const rows = await prisma().dedupEvent.findMany({ where, orderBy: { ts: "desc" }, take: limit });
  return rows.map(viewEvent);
}
