/**
 * /api/metrics: Prometheus text built per scrape from the database, so every dashboard replica
 * reports the same numbers. Counters come from group_totals (never pruned, so they never go
 * backwards) plus the counts committed since the last roll-up (group_stats_delta), so a scrape
 * includes every batch committed up to that moment; gauges from the stuck-claim and worker queries. Labels: consumer_group, topic,
 * cause — never a key or msgId (unbounded cardinality).
 */
import { causeCounter, COUNTER_METRICS, DUPLICATE_CAUSES, DUPLICATE_HITS_METRIC, fieldName, STAT_COUNTERS } from "@dedup-audit/runtime/vocabulary";
import { Counter, Gauge, Registry } from "prom-client";
import { prisma } from "./db/prisma";
import type { GroupTotals } from "./generated/prisma/client";
import { getStuckSummary } from "./queries/getStuckSummary";
import { getWorkerCounts } from "./queries/getWorkerCounts";

export async function renderMetrics(now = new Date()): Promise<{ contentType: string; body: string }> {
  const [rolledUp, pending, stuck, workers] = await Promise.all([
    prisma().groupTotals.findMany({ orderBy: [{ consumerGroup: "asc" }, { topic: "asc" }] }),
    readPending(),
    getStuckSummary(now),
    getWorkerCounts(now, now),
  ]);
  const totals = withPending(rolledUp, pending);
  const registry = new Registry();

  const column = (row: Totals, counter: string) => row[fieldName(counter)] ?? 0;
  for (const c of COUNTER_METRICS) {
    const counter = new Counter({ name: c.name, help: c.help, labelNames: ["consumer_group", "topic"], registers: [registry] });
    for (const row of totals) counter.inc({ consumer_group: row.consumerGroup, topic: row.topic }, column(row, c.counter));
  }
  const hits = new Counter({ ...DUPLICATE_HITS_METRIC, labelNames: ["consumer_group", "topic", "cause"], registers: [registry] });
  for (const row of totals) {
    for (const cause of DUPLICATE_CAUSES) hits.inc({ consumer_group: row.consumerGroup, topic: row.topic, cause }, column(row, causeCounter(cause)));
  }

  // Gauges for every known group, zeros included: an alert on a missing series never fires.
  const groups = [...new Set([...totals.map((t) => t.consumerGroup), ...stuck.keys(), ...workers.keys()])].sort();
  const gauge = (name: string, help: string, value: (g: string) => number) => {
    const g = new Gauge({ name, help, labelNames: ["consumer_group"], registers: [registry] });
    for (const group of groups) g.set({ consumer_group: group }, value(group));
  };
  gauge("dedup_stuck_claims", "Claims still CLAIMED after their lease ran out.", (g) => stuck.get(g)?.count ?? 0);
  gauge("dedup_orphaned_claims", "Stuck claims whose owner worker has no live heartbeat.", (g) => stuck.get(g)?.orphaned ?? 0);
  gauge("dedup_stuck_claim_oldest_age_seconds", "Seconds since the oldest stuck claim's lease ran out (0 when none).", (g) => stuck.get(g)?.oldestStuckS ?? 0);
  gauge("dedup_live_workers", "Workers of the group with a recent heartbeat.", (g) => workers.get(g)?.live ?? 0);

  return { contentType: registry.contentType, body: await registry.metrics() };
}

type Totals = { consumerGroup: string; topic: string } & Record<string, number>;

/** Counts committed since the last roll-up, per group/topic (camelCase counter fields). */
async function readPending(): Promise<Totals[]> {
  const _sum = Object.fromEntries(STAT_COUNTERS.map((c) => [fieldName(c), true]));
  const groups = await prisma().groupStatsDelta.groupBy({ by: ["consumerGroup", "topic"], _sum });
  return groups.map((g) => {
    const sums = g._sum as Record<string, number | null>;
    return { consumerGroup: g.consumerGroup, topic: g.topic, ...Object.fromEntries(STAT_COUNTERS.map((c) => [fieldName(c), Number(sums[fieldName(c)] ?? 0)])) } as Totals;
  });
}

/** group_totals plus the pending counts, sorted by group and topic. */
function withPending(rolledUp: GroupTotals[], pending: Totals[]): Totals[] {
  const byScope = new Map<string, Totals>();
  for (const row of rolledUp) {
    const t = { consumerGroup: row.consumerGroup, topic: row.topic } as Totals;
    for (const c of STAT_COUNTERS) t[fieldName(c)] = Number(row[fieldName(c) as keyof GroupTotals]);
    byScope.set(`${row.consumerGroup}\u0000${row.topic}`, t);
  }
  for (const p of pending) {
    const id = `${p.consumerGroup}\u0000${p.topic}`;
    const t = byScope.get(id) ?? ({ consumerGroup: p.consumerGroup, topic: p.topic } as Totals);
    for (const c of STAT_COUNTERS) t[fieldName(c)] = (t[fieldName(c)] ?? 0) + p[fieldName(c)];
    byScope.set(id, t);
  }
  return [...byScope.values()].sort((a, b) => (a.consumerGroup < b.consumerGroup ? -1 : a.consumerGroup > b.consumerGroup ? 1 : a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}
