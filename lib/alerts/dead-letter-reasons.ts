/**
 * The "dead letters by reason" rule: per group, the dead_letter events of the window grouped by
 * failure reason (lib/dead-letters/reason.ts); the value is the count of the most frequent
 * reason, and reasons with no dead letter before the window are named as new in the description.
 * Reasons are grouped here rather than in SQL because the message's normalisation is code.
 */
import { reasonGroupOf } from "../dead-letters/reason";
import type { Queryable, Row } from "./db";
import type { AlertRule } from "./rules";

/** Dead letters read per evaluation at most; a flood beyond that still fires on what was read. */
const MAX_EVENTS = 20_000;

export async function measureDeadLetterReasons(db: Queryable, rule: AlertRule, now: Date): Promise<Map<string, { value: number; detail: string }>> {
  const since = new Date(now.getTime() - rule.windowS * 1000);
  const groupSql = rule.consumerGroup === null ? "" : "AND consumer_group = ?";
  const groupArgs = rule.consumerGroup === null ? [] : [rule.consumerGroup];
  const [rows] = await db.query<Row[]>(
    `SELECT consumer_group, error_class, detail FROM dedup_event
      WHERE kind = 'dead_letter' AND ts >= ? AND ts <= ? ${groupSql} ORDER BY ts DESC LIMIT ${MAX_EVENTS}`,
    [since, now, ...groupArgs],
  );
  const byGroup = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const g = String(r.consumer_group);
    const reasons = byGroup.get(g) ?? new Map<string, number>();
    const id = reasonGroupOf(r.error_class, r.detail).id;
    reasons.set(id, (reasons.get(id) ?? 0) + 1);
    byGroup.set(g, reasons);
  }
  const out = new Map<string, { value: number; detail: string }>();
  for (const [group, reasons] of byGroup) {
    const known = await reasonsBefore(db, group, since);
    const ranked = [...reasons].sort((a, b) => b[1] - a[1]);
    const listed = ranked.slice(0, 5).map(([id, n]) => `${n} × ${id}${known.has(id) ? "" : " (new)"}`);
    out.set(group, { value: ranked[0][1], detail: `dead letters by reason in the last ${rule.windowS} s: ${listed.join("; ")}` });
  }
  return out;
}

/** Reasons this group dead-lettered before `since` (the last 1000 such events). */
async function reasonsBefore(db: Queryable, group: string, since: Date): Promise<Set<string>> {
  const [rows] = await db.query<Row[]>(
    "SELECT error_class, detail FROM dedup_event WHERE consumer_group = ? AND kind = 'dead_letter' AND ts < ? ORDER BY ts DESC LIMIT 1000",
    [group, since],
  );
  return new Set(rows.map((r) => reasonGroupOf(r.error_class, r.detail).id));
}
