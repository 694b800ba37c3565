/**
 * The words the runtime and the dashboard share, defined once: duplicate causes, event kinds and
 * the counters rolled up per group (with their table columns and Prometheus names). The writers,
 * the dashboard's queries, /api/metrics, alert rules and chart colours all read these lists.
 *
 * Adding a cause: add it to DUPLICATE_CAUSES below (with label and definition), add its `dup_<cause>`
 * columns in a migration (group_stats_minute, group_stats_hour, group_totals, group_stats_delta)
 * and in prisma/schema.prisma, and give it a colour in app/components/causeColors.ts. Whatever else
 * names causes or counters (the /docs/causes page, the operator guide, seeds and fixtures, the
 * Grafana dashboard, the dev broker's truth table) is held to this file by test/vocabulary.test.ts,
 * which fails when a cause, event kind or counter is added in one place only.
 */

/** Why a delivery of a key that was already claimed arrived; each duplicate gets exactly one. */
export const DUPLICATE_CAUSES = ["producer_resend", "rebalance_replay", "redelivery", "unknown", "manual_redrive"] as const;
export type DuplicateCause = (typeof DUPLICATE_CAUSES)[number];

export const CAUSE_LABELS: Record<DuplicateCause, string> = {
  producer_resend: "Producer resend",
  rebalance_replay: "Rebalance replay",
  redelivery: "Redelivery",
  unknown: "Unknown",
  manual_redrive: "Manual re-drive",
};

/**
 * One line per cause: how it is decided (claim/cause.ts); the operator guide and the dashboard's
 * /docs/causes page have the full definitions.
 */
export const CAUSE_DEFINITIONS: Record<DuplicateCause, string> = {
  producer_resend: "a msgId this key had never seen, on its first arrival: the producer sent the key twice",
  rebalance_replay: "a copy seen before, sent again because its holder died or left, or its queue moved (RocketMQ 4)",
  redelivery: "a copy seen before, sent again to a live holder: failure, nack, timeout or an ack the broker refused",
  unknown: "a copy seen before whose last holder is missing from the worker registry: our facts were missing",
  manual_redrive: "a dead letter an operator re-drove (re-published with its keys, marked as a re-drive) that found its key already DONE",
};

/**
 * The user property a re-drive puts on the copy it re-publishes from the dead-letter queue (its
 * value: the re-drive job's id). A first arrival carrying it is the operator's doing, not the producer's.
 */
export const REDRIVE_PROPERTY = "DEDUP_REDRIVE_JOB";

/** Kinds of dedup_event rows: written only off the happy path. */
export const EVENT_KINDS = [
  "duplicate",
  "inflight",
  "released_on_error",
  "takeover",
  "expiry",
  "manual_release",
  "manual_done",
  "payload_mismatch",
  "dead_letter",
  "rejected",
  "rerun",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The rollup counters: snake_case names are the columns of group_stats_minute/_hour and group_totals. */
export const STAT_COUNTERS = [
  "consumed",
  "claims",
  "commits",
  ...DUPLICATE_CAUSES.map((c) => `dup_${c}` as const),
  "inflight_waits",
  "releases",
  "takeovers",
  "expiries",
  "payload_mismatches",
  "dead_lettered",
  "rejected",
  "lock_conflict_retries",
  "reruns",
  "handler_reruns",
] as const;
export type StatCounter = (typeof STAT_COUNTERS)[number];

/** The rollup column that counts duplicates of `cause`. */
export const causeCounter = (cause: DuplicateCause): StatCounter => `dup_${cause}`;

/** A column name as Prisma's client spells the field (snake_case → camelCase). */
export const fieldName = (column: string): string => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Prometheus counters exported from group_totals (one per non-cause column); duplicate hits are
 * one counter with a `cause` label, DUPLICATE_HITS_METRIC.
 */
export const COUNTER_METRICS: readonly { counter: Exclude<StatCounter, `dup_${DuplicateCause}`>; name: string; help: string }[] = [
  { counter: "consumed", name: "dedup_messages_consumed_total", help: "Deliveries handled by dedup workers (first copies and duplicates)." },
  { counter: "claims", name: "dedup_claims_total", help: "Claims inserted (a key seen for the first time, or claimed again after a release)." },
  { counter: "commits", name: "dedup_commits_total", help: "Claims committed DONE after the business effect succeeded." },
  { counter: "inflight_waits", name: "dedup_inflight_waits_total", help: "Deliveries that waited because their key was claimed and in progress." },
  { counter: "releases", name: "dedup_releases_total", help: "Claims released by a worker after a business error (the redelivery runs again)." },
  { counter: "takeovers", name: "dedup_takeovers_total", help: "Expired claims of a dead owner taken over (fence + 1)." },
  { counter: "expiries", name: "dedup_lease_expiries_total", help: "Claims whose lease ran out before they were committed." },
  { counter: "payload_mismatches", name: "dedup_payload_mismatches_total", help: "Duplicates whose payload hash differs from the first copy's." },
  { counter: "dead_lettered", name: "dedup_dead_lettered_total", help: "Messages that went to the dead-letter queue." },
  { counter: "rejected", name: "dedup_rejected_total", help: "Messages a handler rejected as never able to succeed (UnrecoverableError): claim closed, acked, not retried." },
  {
    counter: "lock_conflict_retries",
    name: "dedup_lock_conflict_retries_total",
    help: "Dedup steps and transactional batches run again after a deadlock, lock wait timeout or Galera certification conflict (1213/1205); never acked or failed for it.",
  },
  {
    counter: "reruns",
    name: "dedup_reruns_total",
    help: "Copies that claimed a key again after its claim was released (handler error, operator) or took over an expired claim, and ran the handler: re-runs, not duplicate hits.",
  },
  {
    counter: "handler_reruns",
    name: "dedup_handler_reruns_total",
    help: "Transactional handler invocations for a message whose handler had already run in the same batch: the batch rolled back and ran again (a batch-mate threw, or a lock conflict). Their effects were rolled back; only the last run's effect commits.",
  },
];
export const DUPLICATE_HITS_METRIC = {
  name: "dedup_duplicate_hits_total",
  help: `Duplicate deliveries by cause: ${DUPLICATE_CAUSES.join(", ")}.`,
} as const;
