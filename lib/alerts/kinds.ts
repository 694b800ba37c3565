/**
 * The alert kinds and how a rule's two numbers (threshold, window_s) are read for each.
 * One table, so the evaluator, the API validation, the dashboard help text and the README say
 * the same thing.
 *
 * | kind             | value measured per group                                    | fires when      | window_s means                          |
 * |------------------|-------------------------------------------------------------|-----------------|-----------------------------------------|
 * | dup_rate         | 100 × duplicate hits ÷ consumed over the window (%)         | value > threshold (and consumed > 0) | look-back window                 |
 * | stuck_claims     | CLAIMED rows whose lease ran out more than window_s ago     | value > threshold | grace after lease expiry (0 = any expired lease). "oldest older than T" = threshold 0, window_s T |
 * | replays          | duplicate hits caused by a rebalance replay in the window   | value ≥ threshold | look-back window                       |
 * | no_live_worker   | workers in state live whose heartbeat is younger than window_s | value ≤ threshold (default 0) | heartbeat freshness          |
 * | dlq_growth       | messages dead-lettered in the window                        | value > threshold | look-back window                       |
 * | payload_mismatch | same key seen with a different payload in the window        | value > threshold (default 0) | look-back window              |
 * | live_workers     | workers live now (heartbeat within WORKER_TIMEOUT_S)         | value < threshold, or < peak_pct % of the most that were live at once in the window | peak look-back window |
 * | dead_letter_reason | dead letters of the most frequent failure reason in the window (reasons new in the window are named) | value > threshold (0 = any reason) | look-back window |
 *
 * Rollup-based kinds (dup_rate, replays, dlq_growth, payload_mismatch) read group_stats_minute,
 * so a window is rounded out to whole minutes (the minute containing now − window_s counts).
 *
 * Every rule also has a pending period (for_s), a keep-firing period (keep_firing_s) and an
 * optional resolve threshold on the healthy side of the threshold (hysteresis); plan.ts applies
 * them. Values are printed against their threshold with formatAgainst, so "5.04 %" is never
 * shown as "5.0 %" next to "> 5 %".
 */
import type { AlertKind } from "../generated/prisma/enums";

export type { AlertKind };

export type Comparison = "gt" | "gte" | "lte" | "lt";

export interface KindInfo {
  kind: AlertKind;
  /** Prometheus-style alert name used as the `alertname` label. */
  alertname: string;
  title: string;
  unit: string;
  comparison: Comparison;
  /** What threshold and window_s mean, for forms and API docs. */
  thresholdHelp: string;
  windowHelp: string;
  minWindowS: number;
  /** Inclusive bounds for the threshold. */
  thresholdRange: [number, number];
  integerThreshold: boolean;
}

export const KINDS: Record<AlertKind, KindInfo> = {
  dup_rate: {
    kind: "dup_rate",
    alertname: "DedupDuplicateRateHigh",
    title: "Duplicate rate",
    unit: "%",
    comparison: "gt",
    thresholdHelp: "fires when duplicate hits ÷ consumed, in percent, is above this",
    windowHelp: "look-back window in seconds (whole minutes of rollups)",
    minWindowS: 60,
    thresholdRange: [0, 100],
    integerThreshold: false,
  },
  stuck_claims: {
    kind: "stuck_claims",
    alertname: "DedupStuckClaims",
    title: "Stuck claims",
    unit: "claims",
    comparison: "gt",
    thresholdHelp: "fires when more than this many claims are stuck (0 = any stuck claim)",
    windowHelp: "a claim counts as stuck once its lease ran out this many seconds ago (0 = at once)",
    minWindowS: 0,
    thresholdRange: [0, 1e9],
    integerThreshold: true,
  },
  replays: {
    kind: "replays",
    alertname: "DedupRebalanceReplays",
    title: "Rebalance replays",
    unit: "replays",
    comparison: "gte",
    thresholdHelp: "fires when at least this many duplicates were rebalance replays in the window",
    windowHelp: "look-back window in seconds (whole minutes of rollups)",
    minWindowS: 60,
    thresholdRange: [1, 1e9],
    integerThreshold: true,
  },
  no_live_worker: {
    kind: "no_live_worker",
    alertname: "DedupNoLiveWorker",
    title: "No live worker",
    unit: "workers",
    comparison: "lte",
    thresholdHelp: "fires when the group has this many live workers or fewer (0 = none left)",
    windowHelp: "a worker is live when its heartbeat is younger than this many seconds",
    minWindowS: 1,
    thresholdRange: [0, 1e6],
    integerThreshold: true,
  },
  dlq_growth: {
    kind: "dlq_growth",
    alertname: "DedupDeadLetterGrowth",
    title: "DLQ growth",
    unit: "messages",
    comparison: "gt",
    thresholdHelp: "fires when more than this many messages were dead-lettered in the window",
    windowHelp: "look-back window in seconds (whole minutes of rollups)",
    minWindowS: 60,
    thresholdRange: [0, 1e9],
    integerThreshold: true,
  },
  payload_mismatch: {
    kind: "payload_mismatch",
    alertname: "DedupPayloadMismatch",
    title: "Payload mismatch",
    unit: "mismatches",
    comparison: "gt",
    thresholdHelp: "fires when more than this many deliveries carried a known key with a different payload (0 = any)",
    windowHelp: "look-back window in seconds (whole minutes of rollups)",
    minWindowS: 60,
    thresholdRange: [0, 1e9],
    integerThreshold: true,
  },
  live_workers: {
    kind: "live_workers",
    alertname: "DedupLiveWorkersLow",
    title: "Live workers low",
    unit: "workers",
    comparison: "lt",
    thresholdHelp: "fires when fewer than this many workers are live (0 = only the share of the peak counts)",
    windowHelp: "look-back window in seconds for the group's peak (the most workers live at the same time)",
    minWindowS: 60,
    thresholdRange: [0, 1e6],
    integerThreshold: true,
  },
  dead_letter_reason: {
    kind: "dead_letter_reason",
    alertname: "DedupDeadLettersByReason",
    title: "Dead letters by reason",
    unit: "dead letters of one reason",
    comparison: "gt",
    thresholdHelp: "fires when one failure reason (error class + normalised message) dead-lettered more than this many messages in the window (0 = any); reasons first seen in the window are named as new",
    windowHelp: "look-back window in seconds",
    minWindowS: 60,
    thresholdRange: [0, 1e9],
    integerThreshold: true,
  },
};

export const ALERT_KINDS = Object.keys(KINDS) as AlertKind[];

/**
 * A consumer group name (letters, digits, %|_.-) as an HTML `pattern`. Browsers compile
 * `pattern` with the `v` flag, where `|` and `-` inside a class must be escaped; unescaped, the
 * browser reports the pattern invalid and checks nothing.
 */
export const GROUP_PATTERN = "[%\\|\\w.\\-]+";

/** Whether a measured value breaches the rule. */
export function isBreached(kind: AlertKind, value: number, threshold: number): boolean {
  switch (KINDS[kind].comparison) {
    case "gt":
      return value > threshold;
    case "gte":
      return value >= threshold;
    case "lte":
      return value <= threshold;
    case "lt":
      return value < threshold;
  }
}

const OPERATOR: Record<Comparison, string> = { gt: ">", gte: "≥", lte: "≤", lt: "<" };

/**
 * Whether `resolveAt` lies on the healthy side of `threshold` (or equals it): a resolve
 * threshold past the firing one would let an alert resolve while its condition still holds.
 */
export function isHealthySide(kind: AlertKind, threshold: number, resolveAt: number): boolean {
  const c = KINDS[kind].comparison;
  return c === "gt" || c === "gte" ? resolveAt <= threshold : resolveAt >= threshold;
}

/** The condition a firing alert must leave to resolve: "≤ 4 %" for a rule resolving at 4. */
export function describeResolve(kind: AlertKind, resolveAt: number): string {
  const healthy: Record<Comparison, string> = { gt: "≤", gte: "<", lte: ">", lt: "≥" };
  return `${healthy[KINDS[kind].comparison]} ${resolveAt} ${KINDS[kind].unit}`;
}

const decimalsOf = (n: number) => (Number.isInteger(n) ? 0 : (String(n).split(".")[1]?.length ?? 0));

/**
 * A value printed with the fewest decimals (up to 4) that keep its comparison with `threshold`
 * visible: 5.04 against 5 is "5.04", never "5.0"; 5 against 5 is "5". Never fewer decimals
 * than the threshold itself has.
 */
export function formatAgainst(value: number, threshold: number): string {
  const min = Math.min(4, decimalsOf(threshold));
  for (let d = min; d <= 4; d++) {
    const shown = Number(value.toFixed(d));
    if (value === threshold || Math.sign(shown - threshold) === Math.sign(value - threshold)) return value.toFixed(d);
  }
  return String(value);
}

/** "> 5 %", "≥ 1 replays", "≤ 0 workers" — for annotations and lists. */
export function describeCondition(kind: AlertKind, threshold: number): string {
  return `${OPERATOR[KINDS[kind].comparison]} ${threshold} ${KINDS[kind].unit}`;
}

export interface ConditionParts {
  kind: AlertKind;
  threshold: number;
  windowS: number;
  peakPct?: number | null;
}

/** A rule's whole firing condition in words, window included: "> 5 % in 300 s". */
export function describeRuleCondition(r: ConditionParts): string {
  if (r.kind === "live_workers") {
    const share = r.peakPct ? `< ${r.peakPct} % of the peak of the last ${r.windowS} s` : "";
    const absolute = r.threshold > 0 ? describeCondition(r.kind, r.threshold) : "";
    return [absolute, share].filter(Boolean).join(" or ") || "never (set a threshold or a share of the peak)";
  }
  const where = r.kind === "no_live_worker" ? `(heartbeat within ${r.windowS} s)` : r.kind === "stuck_claims" ? `(lease expired > ${r.windowS} s ago)` : `in ${r.windowS} s`;
  return `${describeCondition(r.kind, r.threshold)} ${where}`;
}
