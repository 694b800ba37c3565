/**
 * /api/metrics: Prometheus text built per scrape from the database, so every dashboard replica
 * reports the same numbers. Counters come from group_totals (never pruned, so they never go
 * backwards); gauges from the stuck-claim and worker queries. Labels: consumer_group, topic,
 * cause — never a key or msgId (unbounded cardinality).
 */
import { Counter, Gauge, Registry } from "prom-client";
import { prisma } from "./db/prisma";
import type { GroupTotals } from "./generated/prisma/client";
import { CAUSES } from "./queries/causes";
import { getStuckSummary } from "./queries/getStuckSummary";
import { getWorkerCounts } from "./queries/getWorkerCounts";

const counters: { name: string; help: string; column: keyof GroupTotals }[] = [
  { name: "dedup_messages_consumed_total", help: "Deliveries handled by dedup workers (first copies and duplicates).", column: "consumed" },
  { name: "dedup_claims_total", help: "Claims inserted (a key seen for the first time, or claimed again after a release).", column: "claims" },
  { name: "dedup_commits_total", help: "Claims committed DONE after the business effect succeeded.", column: "commits" },
  { name: "dedup_inflight_waits_total", help: "Deliveries that waited because their key was claimed and in progress.", column: "inflightWaits" },
  { name: "dedup_releases_total", help: "Claims released by a worker after a business error (the redelivery runs again).", column: "releases" },
  { name: "dedup_takeovers_total", help: "Expired claims of a dead owner taken over (fence + 1).", column: "takeovers" },
  { name: "dedup_lease_expiries_total", help: "Claims whose lease ran out before they were committed.", column: "expiries" },
  { name: "dedup_payload_mismatches_total", help: "Duplicates whose payload hash differs from the first copy's.", column: "payloadMismatches" },
  { name: "dedup_dead_lettered_total", help: "Messages that went to the dead-letter queue.", column: "deadLettered" },
];

const causeColumn = {
  producer_resend: "dupProducerResend",
  rebalance_replay: "dupRebalanceReplay",
  redelivery: "dupRedelivery",
  unknown: "dupUnknown",
} as const satisfies Record<(typeof CAUSES)[number], keyof GroupTotals>;

export async function renderMetrics(now = new Date()): Promise<{ contentType: string; body: string }> {
  const [totals, stuck, workers] = await Promise.all([
    prisma().groupTotals.findMany({ orderBy: [{ consumerGroup: "asc" }, { topic: "asc" }] }),
    getStuckSummary(now),
    getWorkerCounts(now, now),
  ]);
  const registry = new Registry();

  for (const c of counters) {
    const counter = new Counter({ name: c.name, help: c.help, labelNames: ["consumer_group", "topic"], registers: [registry] });
    for (const row of totals) counter.inc({ consumer_group: row.consumerGroup, topic: row.topic }, Number(row[c.column]));
  }
  const hits = new Counter({
    name: "dedup_duplicate_hits_total",
    help: "Duplicate deliveries by cause: producer_resend, rebalance_replay, redelivery, unknown.",
    labelNames: ["consumer_group", "topic", "cause"],
    registers: [registry],
  });
  for (const row of totals) {
    for (const cause of CAUSES) hits.inc({ consumer_group: row.consumerGroup, topic: row.topic, cause }, Number(row[causeColumn[cause]]));
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
