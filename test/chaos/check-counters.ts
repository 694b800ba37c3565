/**
 * Counts per cause must agree between dedup_event, group_stats_minute, group_totals and the
 * /api/metrics output. What is provably exact after a run with SIGKILLs, and so what we assert:
 *
 *  - totals == Σ minute rollups (== Σ hour rollups where they exist), for every counter: a flush
 *    writes them in one transaction, so a kill can lose a flush but never split one;
 *  - /api/metrics == totals: the counters are rendered from group_totals;
 *  - for each counter that has a source row (an event kind, or a DONE claim for commits):
 *        rows written by workers that stopped gracefully  ≤  total  ≤  rows written by anyone.
 *    A worker writes the row first and counts it in memory afterwards, so nobody can count what
 *    it did not write (upper bound). A SIGKILLed worker loses whatever it counted since its last
 *    flush (≤ FLUSH_INTERVAL_S), so its rows may be missing from the totals — but a worker that
 *    stopped gracefully (state 'left': it flushed, then deregistered) lost nothing (lower bound).
 *    Asserting equality would need a run without kills; the bounds are exact for the counted part
 *    and still catch a counter that runs ahead of its rows or a survivor's counts going missing.
 *  - consumed ≤ deliveries the broker handed out.
 */
import type { Pool } from "@dedup-audit/runtime/db";
import { rows } from "../support/deliveries";
import { STAT_COUNTERS } from "@dedup-audit/runtime/vocabulary";
import type { StatCounter } from "@dedup-audit/runtime/vocabulary";
import { sampleValue, type Sample } from "../support/prometheus";

export interface CounterRow {
  counter: StatCounter;
  /** Source rows written by any worker / by gracefully stopped workers (undefined: no source rows). */
  rowsAll?: number;
  rowsLeft?: number;
  totals: number;
  minutes: number;
  /** Σ group_stats_hour, when that table exists. */
  hours?: number;
  metrics?: number;
}

const METRIC: Record<StatCounter, { name: string; cause?: string }> = {
  consumed: { name: "dedup_messages_consumed_total" },
  claims: { name: "dedup_claims_total" },
  commits: { name: "dedup_commits_total" },
  dup_producer_resend: { name: "dedup_duplicate_hits_total", cause: "producer_resend" },
  dup_rebalance_replay: { name: "dedup_duplicate_hits_total", cause: "rebalance_replay" },
  dup_redelivery: { name: "dedup_duplicate_hits_total", cause: "redelivery" },
  dup_unknown: { name: "dedup_duplicate_hits_total", cause: "unknown" },
  dup_manual_redrive: { name: "dedup_duplicate_hits_total", cause: "manual_redrive" },
  inflight_waits: { name: "dedup_inflight_waits_total" },
  releases: { name: "dedup_releases_total" },
  takeovers: { name: "dedup_takeovers_total" },
  expiries: { name: "dedup_lease_expiries_total" },
  payload_mismatches: { name: "dedup_payload_mismatches_total" },
  dead_lettered: { name: "dedup_dead_lettered_total" },
  rejected: { name: "dedup_rejected_total" },
  lock_conflict_retries: { name: "dedup_lock_conflict_retries_total" },
};

/** The event rows each counter counts (see workers/runtime/src/claim/executor.ts: write the event, then count). */
const EVENT_SOURCE: Partial<Record<StatCounter, (e: { kind: string; cause: string | null; outcome: string | null }) => boolean>> = {
  dup_producer_resend: (e) => e.kind === "duplicate" && e.cause === "producer_resend",
  dup_rebalance_replay: (e) => e.kind === "duplicate" && e.cause === "rebalance_replay",
  dup_redelivery: (e) => e.kind === "duplicate" && e.cause === "redelivery",
  dup_unknown: (e) => e.kind === "duplicate" && e.cause === "unknown",
  dup_manual_redrive: (e) => e.kind === "duplicate" && e.cause === "manual_redrive",
  inflight_waits: (e) => e.kind === "inflight" && e.outcome === "waiting",
  releases: (e) => e.kind === "released_on_error",
  takeovers: (e) => e.kind === "takeover",
  expiries: (e) => e.kind === "expiry",
  payload_mismatches: (e) => e.kind === "payload_mismatch",
  dead_lettered: (e) => e.kind === "dead_letter",
  rejected: (e) => e.kind === "rejected",
};

export async function checkCounters(
  pool: Pool,
  scope: { group: string; topic: string },
  brokerDelivered: number,
  metrics: Sample[],
): Promise<{ rows: CounterRow[]; violations: string[] }> {
  const { group, topic } = scope;
  const [totals] = await rows(pool, "SELECT * FROM group_totals WHERE consumer_group = ? AND topic = ?", [group, topic]);
  const sums = `${STAT_COUNTERS.map((c) => `COALESCE(SUM(${c}), 0) AS ${c}`).join(", ")}`;
  const [minutes] = await rows(pool, `SELECT ${sums} FROM group_stats_minute WHERE consumer_group = ? AND topic = ?`, [group, topic]);
  // Hour rollups, where the schema has them: written in the same flush transaction.
  const [hourTable] = await rows(pool, "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'group_stats_hour'");
  const [hours] = Number(hourTable.n) > 0 ? await rows(pool, `SELECT ${sums} FROM group_stats_hour WHERE consumer_group = ? AND topic = ?`, [group, topic]) : [undefined];
  const events = await rows(
    pool,
    `SELECT e.kind, e.cause, e.outcome, COUNT(*) AS n, SUM(w.state <=> 'left') AS n_left
       FROM dedup_event e LEFT JOIN worker_instance w ON w.id = e.worker
      WHERE e.consumer_group = ? AND e.topic = ? GROUP BY e.kind, e.cause, e.outcome`,
    [group, topic],
  );
  const [done] = await rows(
    pool,
    `SELECT COUNT(*) AS n, COALESCE(SUM(w.state <=> 'left'), 0) AS n_left
       FROM dedup_claim c LEFT JOIN worker_instance w ON w.id = c.owner
      WHERE c.consumer_group = ? AND c.topic = ? AND c.state = 'DONE'`,
    [group, topic],
  );

  const violations: string[] = [];
  if (!totals) violations.push(`no group_totals row for ${group}/${topic}`);
  const out: CounterRow[] = STAT_COUNTERS.map((counter) => {
    const row: CounterRow = { counter, totals: Number(totals?.[counter] ?? 0), minutes: Number(minutes?.[counter] ?? 0), hours: hours ? Number(hours[counter]) : undefined };
    const src = EVENT_SOURCE[counter];
    if (src) {
      const matching = events.filter((e) => src({ kind: String(e.kind), cause: e.cause === null ? null : String(e.cause), outcome: e.outcome === null ? null : String(e.outcome) }));
      row.rowsAll = matching.reduce((n, e) => n + Number(e.n), 0);
      row.rowsLeft = matching.reduce((n, e) => n + Number(e.n_left), 0);
    } else if (counter === "commits") {
      row.rowsAll = Number(done.n);
      row.rowsLeft = Number(done.n_left);
    }
    const m = METRIC[counter];
    row.metrics = sampleValue(metrics, m.name, { consumer_group: group, topic, ...(m.cause ? { cause: m.cause } : {}) });
    if (row.totals !== row.minutes) violations.push(`${counter}: group_totals ${row.totals} ≠ Σ group_stats_minute ${row.minutes}`);
    if (row.hours !== undefined && row.totals !== row.hours) violations.push(`${counter}: group_totals ${row.totals} ≠ Σ group_stats_hour ${row.hours}`);
    if (row.metrics !== row.totals) violations.push(`${counter}: /api/metrics ${row.metrics} ≠ group_totals ${row.totals}`);
    if (row.rowsAll !== undefined && row.totals > row.rowsAll) violations.push(`${counter}: counted ${row.totals} > ${row.rowsAll} rows written (counted something never recorded)`);
    if (row.rowsLeft !== undefined && row.totals < row.rowsLeft) violations.push(`${counter}: counted ${row.totals} < ${row.rowsLeft} rows of gracefully stopped workers (counts lost without a kill)`);
    return row;
  });
  const consumed = out.find((r) => r.counter === "consumed")!.totals;
  if (consumed > brokerDelivered) violations.push(`consumed ${consumed} > ${brokerDelivered} deliveries by the broker`);
  return { rows: out, violations };
}
