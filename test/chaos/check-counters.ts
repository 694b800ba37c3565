/**
 * Every counter, per group and topic, must be equal across every place it is kept:
 *
 *     group_totals == Σ group_stats_minute == Σ group_stats_hour == source rows == /api/metrics
 *
 * (each rollup read as the dashboard reads it: plus the deltas not rolled up yet). Equality, not
 * bounds, holds under SIGKILL, a database restart or a lost cluster node because every count
 * commits in the transaction of the rows it counts (workers/runtime/src/claim/batch-writers.ts):
 * a kill loses a batch's rows and its counts together.
 *
 * Source rows per counter: an event kind for the event counters (duplicate hits by cause,
 * re-runs, waits, releases, takeovers, expiries, mismatches, dead letters, rejections); DONE
 * claims without a rejection for commits; in transactional mode, claim rows for claims (a lease
 * release deletes its claim row, so lease claims have no row left to equal). consumed,
 * lock_conflict_retries and handler_reruns have no row of their own; consumed is also held to
 * ≤ the deliveries the broker handed out.
 */
import type { Pool } from "@dedup-audit/runtime/db";
import { rows } from "../support/deliveries";
import { COUNTER_METRICS, DUPLICATE_CAUSES, DUPLICATE_HITS_METRIC, STAT_COUNTERS } from "@dedup-audit/runtime/vocabulary";
import type { StatCounter } from "@dedup-audit/runtime/vocabulary";
import { sampleValue, type Sample } from "../support/prometheus";

export interface CounterRow {
  counter: StatCounter;
  /** Source rows (undefined: the counter has none). */
  rows?: number;
  totals: number;
  minutes: number;
  /** Σ group_stats_hour. */
  hours: number;
  metrics?: number;
}

/** The Prometheus series each counter is exported as, from the runtime's vocabulary. */
function metricOf(counter: StatCounter): { name: string; cause?: string } {
  const cause = DUPLICATE_CAUSES.find((c) => `dup_${c}` === counter);
  if (cause) return { name: DUPLICATE_HITS_METRIC.name, cause };
  return { name: COUNTER_METRICS.find((m) => m.counter === counter)!.name };
}

type EventRow = { kind: string; cause: string | null; outcome: string | null };

/** The event rows each event counter counts (workers/runtime/src/claim/recorder.ts). */
const EVENT_SOURCE: Partial<Record<StatCounter, (e: EventRow) => boolean>> = {
  ...Object.fromEntries(DUPLICATE_CAUSES.map((c) => [`dup_${c}`, (e: EventRow) => e.kind === "duplicate" && e.cause === c])),
  reruns: (e) => e.kind === "rerun",
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
  mode: "transactional" | "lease" = "transactional",
): Promise<{ rows: CounterRow[]; violations: string[] }> {
  const { group, topic } = scope;
  const where = "WHERE consumer_group = ? AND topic = ?";
  const sums = STAT_COUNTERS.map((c) => `COALESCE(SUM(${c}), 0) AS ${c}`).join(", ");
  const sumOf = async (table: string) => (await rows(pool, `SELECT ${sums} FROM ${table} ${where}`, [group, topic]))[0];
  const [totals] = await rows(pool, `SELECT * FROM group_totals ${where}`, [group, topic]);
  const [minutes, hours, pending] = [await sumOf("group_stats_minute"), await sumOf("group_stats_hour"), await sumOf("group_stats_delta")];
  const events = await rows(pool, `SELECT kind, cause, outcome, COUNT(*) AS n FROM dedup_event ${where} GROUP BY kind, cause, outcome`, [group, topic]);
  const [claims] = await rows(pool, `SELECT COUNT(*) AS n, COALESCE(SUM(state = 'DONE' AND reject_reason IS NULL), 0) AS committed FROM dedup_claim ${where}`, [group, topic]);

  const violations: string[] = [];
  if (!totals) violations.push(`no group_totals row for ${group}/${topic}`);
  const out: CounterRow[] = STAT_COUNTERS.map((counter) => {
    const plus = Number(pending[counter]);
    const row: CounterRow = { counter, totals: Number(totals?.[counter] ?? 0) + plus, minutes: Number(minutes[counter]) + plus, hours: Number(hours[counter]) + plus };
    const src = EVENT_SOURCE[counter];
    if (src) {
      row.rows = events.filter((e) => src({ kind: String(e.kind), cause: e.cause === null ? null : String(e.cause), outcome: e.outcome === null ? null : String(e.outcome) })).reduce((n, e) => n + Number(e.n), 0);
    } else if (counter === "commits") {
      row.rows = Number(claims.committed);
    } else if (counter === "claims" && mode === "transactional") {
      row.rows = Number(claims.n);
    }
    const m = metricOf(counter);
    row.metrics = sampleValue(metrics, m.name, { consumer_group: group, topic, ...(m.cause ? { cause: m.cause } : {}) });
    if (row.totals !== row.minutes) violations.push(`${counter}: group_totals ${row.totals} ≠ Σ group_stats_minute ${row.minutes}`);
    if (row.totals !== row.hours) violations.push(`${counter}: group_totals ${row.totals} ≠ Σ group_stats_hour ${row.hours}`);
    if (row.metrics !== row.totals) violations.push(`${counter}: /api/metrics ${row.metrics} ≠ group_totals ${row.totals}`);
    if (row.rows !== undefined && row.totals !== row.rows) violations.push(`${counter}: counted ${row.totals} ≠ ${row.rows} rows written`);
    return row;
  });
  const consumed = out.find((r) => r.counter === "consumed")!.totals;
  if (consumed > brokerDelivered) violations.push(`consumed ${consumed} > ${brokerDelivered} deliveries by the broker`);
  return { rows: out, violations };
}
