/**
 * `dedup-audit status`: per group and topic, what a team without the dashboard needs to see —
 * consumed, committed, duplicates by cause, payload mismatches, rejected, stuck and held claims,
 * live workers, and when the group last rebalanced.
 */
import type { Db } from "../sql/common.js";
import { readGroupTotals, type GroupTotalsRow } from "../sql/read-group-totals.js";
import { listExpiredClaims } from "../sql/list-expired-claims.js";
import { countLiveWorkers } from "../sql/count-live-workers.js";
import { readLastRebalances } from "../sql/read-last-rebalances.js";

export interface GroupTopicStatus extends Omit<GroupTotalsRow, "updatedAt"> {
  stuckClaims: number;
  heldClaims: number;
  liveWorkers: number;
  lastRebalance: string | null;
}

/** Stuck claims counted at most this many per call: the count says "10000+" beyond. */
const STUCK_SCAN_LIMIT = 10_000;

export async function readStatus(db: Db, group?: string): Promise<GroupTopicStatus[]> {
  const [totals, expired, live, rebalances] = await Promise.all([
    readGroupTotals(db, group),
    listExpiredClaims(db, { group, limit: STUCK_SCAN_LIMIT }),
    countLiveWorkers(db),
    readLastRebalances(db),
  ]);
  const at = (g: string, t: string) => `${g}\u0000${t}`;
  const rows = new Map<string, GroupTopicStatus>();
  const row = (g: string, t: string): GroupTopicStatus => {
    let r = rows.get(at(g, t));
    if (!r) {
      const zero = { producer_resend: 0, rebalance_replay: 0, redelivery: 0, unknown: 0 };
      r = { group: g, topic: t, consumed: 0, commits: 0, duplicates: zero, payloadMismatches: 0, rejected: 0, stuckClaims: 0, heldClaims: 0, liveWorkers: 0, lastRebalance: rebalances.get(g)?.toISOString() ?? null };
      rows.set(at(g, t), r);
    }
    return r;
  };
  for (const t of totals) Object.assign(row(t.group, t.topic), { consumed: t.consumed, commits: t.commits, duplicates: t.duplicates, payloadMismatches: t.payloadMismatches, rejected: t.rejected });
  for (const c of expired) {
    const r = row(c.group, c.topic);
    r.stuckClaims++;
    if (c.held) r.heldClaims++;
  }
  for (const w of live) if (group === undefined || w.group === group) row(w.group, w.topic).liveWorkers = w.live;
  return [...rows.values()].sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
}

/** One line per group/topic, aligned, for a terminal. */
export function formatStatus(rows: GroupTopicStatus[]): string[] {
  if (rows.length === 0) return ["no consumer group has recorded anything yet"];
  const table = rows.map((r) => [
    r.group,
    r.topic,
    String(r.consumed),
    String(r.commits),
    `${r.duplicates.producer_resend}/${r.duplicates.rebalance_replay}/${r.duplicates.redelivery}/${r.duplicates.unknown}`,
    String(r.payloadMismatches),
    String(r.rejected),
    `${r.stuckClaims}${r.stuckClaims >= STUCK_SCAN_LIMIT ? "+" : ""}`,
    String(r.heldClaims),
    String(r.liveWorkers),
    r.lastRebalance ?? "—",
  ]);
  const head = ["GROUP", "TOPIC", "CONSUMED", "COMMITS", "DUP resend/replay/redelivery/unknown", "MISMATCH", "REJECTED", "STUCK", "HELD", "LIVE", "LAST REBALANCE"];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  return [head, ...table].map((cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
}
