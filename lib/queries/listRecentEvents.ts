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

/** A rebalance's replays: the rebalance-replay copies (acked as duplicates or run again) from `from` (inclusive) to `to` (exclusive). */
export interface ReplayWindow {
  from: Date;
  to: Date;
}

export interface EventFilter {
  /** Only the replays of these windows (a chart marker's, or a group of close markers'). */
  replays?: ReplayWindow[];
  /** Only events of this kind (duplicate, takeover, released_on_error, …). */
  kind?: EventKind;
}

export type EventKind = DedupEvent["kind"];

export async function listRecentEvents(group: string, limit = 50, filter: EventFilter = {}): Promise<EventView[]> {
  // A replay acked as a duplicate, or run again (taken over, or claimed after a release).
  const replays = filter.replays && {
    kind: { in: ["duplicate", "rerun"] as EventKind[] },
    cause: "rebalance_replay" as const,
    OR: filter.replays.map((w) => ({ ts: { gte: w.from, lt: w.to } })),
  };
  const where = { consumerGroup: group, ...(filter.kind ? { kind: filter.kind } : {}), ...replays };
  const rows = await prisma().dedupEvent.findMany({ where, orderBy: { ts: "desc" }, take: limit });
  return rows.map(viewEvent);
}
