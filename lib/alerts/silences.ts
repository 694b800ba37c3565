/**
 * Silences as the evaluator sees them: the ones active at `now`, and which one (if any) matches
 * an alert. A silence names a rule, a consumer group, or both; an empty side matches any. When
 * several match, the one that ends last is named (it is the one that holds the alert longest).
 */
import type { Queryable, Row } from "./db";

export interface ActiveSilence {
  id: number;
  ruleId: number | null;
  consumerGroup: string | null;
  endsAt: Date;
  createdBy: string;
  reason: string;
}

export async function activeSilences(db: Queryable, now: Date): Promise<ActiveSilence[]> {
  const [rows] = await db.query<Row[]>(
    `SELECT id, rule_id, consumer_group, ends_at, created_by, reason FROM alert_silence
      WHERE starts_at <= ? AND ends_at > ? ORDER BY ends_at DESC, id`,
    [now, now],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    ruleId: r.rule_id === null ? null : Number(r.rule_id),
    consumerGroup: r.consumer_group === null ? null : String(r.consumer_group),
    endsAt: new Date(r.ends_at),
    createdBy: String(r.created_by),
    reason: String(r.reason),
  }));
}

export function silenceMatches(s: Pick<ActiveSilence, "ruleId" | "consumerGroup">, ruleId: number, consumerGroup: string): boolean {
  return (s.ruleId === null || s.ruleId === ruleId) && (s.consumerGroup === null || s.consumerGroup === consumerGroup);
}

/** For one group: rule id → the id of the silence that holds its alert back, or null. */
export function silenceMatcher(silences: ActiveSilence[], consumerGroup: string): (ruleId: number) => number | null {
  return (ruleId) => silences.find((s) => silenceMatches(s, ruleId, consumerGroup))?.id ?? null;
}
