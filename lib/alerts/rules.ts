/**
 * Alert rules: what each kind measures (one SQL per kind, grouped by consumer group) and the
 * default rules created on first start. How threshold and window_s are read: see kinds.ts.
 */
import { causeCounter, DUPLICATE_CAUSES } from "@dedup-audit/runtime/vocabulary";
import { log } from "../log";
import { config } from "../config";
import type mysql from "mysql2/promise";
import { serializeOnSingleton, sqlErrno } from "@dedup-audit/runtime/db";
import type { Pool, Queryable, Row } from "./db";
import { dbNow, withTransaction } from "./db";
import { describeResolve, describeRuleCondition, formatAgainst, isBreached, type AlertKind } from "./kinds";
import { measureDeadLetterReasons } from "./dead-letter-reasons";

export interface AlertRule {
  id: number;
  name: string;
  kind: AlertKind;
  /** null: every group. */
  consumerGroup: string | null;
  threshold: number;
  windowS: number;
  severity: string;
  enabled: boolean;
  /** Pending period: the condition must hold this long before the alert fires. */
  forS: number;
  /** Keep-firing period: a firing alert resolves only after its condition was clear this long. */
  keepFiringS: number;
  /** A firing alert resolves only once the value is past this (null: the threshold itself). */
  resolveThreshold: number | null;
  /** live_workers: also fires below this share (%) of the group's recent peak. */
  peakPct: number | null;
}

/** One rule evaluated for one group. */
export interface Measurement {
  consumerGroup: string;
  value: number;
  /** The firing condition holds. */
  firing: boolean;
  /** The resolve condition holds (with no resolve threshold: the firing condition does not). */
  cleared: boolean;
  summary: string;
  description: string;
}

export function ruleFromRow(r: Row): AlertRule {
  return {
    id: Number(r.id),
    name: String(r.name),
    kind: r.kind as AlertKind,
    consumerGroup: r.consumer_group === null ? null : String(r.consumer_group),
    threshold: Number(r.threshold),
    windowS: Number(r.window_s),
    severity: String(r.severity),
    enabled: Boolean(r.enabled),
    forS: Number(r.for_s ?? 0),
    keepFiringS: Number(r.keep_firing_s ?? 0),
    resolveThreshold: r.resolve_threshold === null || r.resolve_threshold === undefined ? null : Number(r.resolve_threshold),
    peakPct: r.peak_pct === null || r.peak_pct === undefined ? null : Number(r.peak_pct),
  };
}

export async function loadRules(db: Queryable, opts: { enabledOnly?: boolean } = {}): Promise<AlertRule[]> {
  const [rows] = await db.query<Row[]>(
    `SELECT id, name, kind, consumer_group, threshold, window_s, severity, enabled, for_s, keep_firing_s, resolve_threshold, peak_pct FROM alert_rule
      ${opts.enabledOnly ? "WHERE enabled = 1" : ""} ORDER BY id`,
  );
  return rows.map(ruleFromRow);
}

const groupFilter = (rule: AlertRule) => (rule.consumerGroup === null ? "" : "AND consumer_group = ?");
const groupArgs = (rule: AlertRule) => (rule.consumerGroup === null ? [] : [rule.consumerGroup]);

/** Start of the minute that contains `now − windowS`: rollup windows are whole minutes. */
function windowStart(now: Date, windowS: number): Date {
  const t = now.getTime() - windowS * 1000;
  return new Date(t - (t % 60_000));
}

interface Interval {
  start: number;
  end: number;
}

/** The most intervals that overlap at one instant (an end and a start at the same instant do not overlap). */
export function peakOverlap(intervals: Interval[]): number {
  const edges = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const e of edges) peak = Math.max(peak, (now += e.d));
  return peak;
}

interface Value {
  value: number;
  detail: string;
  /** live_workers: the peak share part of the condition holds. */
  belowPeak?: boolean;
}

/**
 * Live workers per group now, and the most that were live at the same time in the window: each
 * worker instance was alive from started_at to its last sign of life (stopped_at, else its last
 * heartbeat; a fresh live worker up to now). A worker killed and restarted gives two instances
 * that never overlap, so a restart does not raise the peak.
 */
async function measureLiveWorkers(db: Queryable, rule: AlertRule, now: Date): Promise<Map<string, Value>> {
  const from = now.getTime() - rule.windowS * 1000;
  const freshSince = now.getTime() - config().WORKER_TIMEOUT_S * 1000;
  const [rows] = await db.query<Row[]>(
    `SELECT consumer_group, state, started_at, heartbeat_at, stopped_at FROM worker_instance
      WHERE (COALESCE(stopped_at, heartbeat_at) >= ? OR state = 'live') ${groupFilter(rule)}`,
    [new Date(from), ...groupArgs(rule)],
  );
  const byGroup = new Map<string, { live: number; intervals: Interval[] }>();
  for (const r of rows) {
    const g = String(r.consumer_group);
    if (!byGroup.has(g)) byGroup.set(g, { live: 0, intervals: [] });
    const entry = byGroup.get(g)!;
    const heartbeat = new Date(r.heartbeat_at).getTime();
    const liveNow = r.state === "live" && heartbeat >= freshSince;
    if (liveNow) entry.live++;
    const end = liveNow ? now.getTime() : r.stopped_at ? new Date(r.stopped_at).getTime() : heartbeat;
    if (end >= from) entry.intervals.push({ start: Math.max(from, new Date(r.started_at).getTime()), end });
  }
  const out = new Map<string, Value>();
  for (const [g, { live, intervals }] of byGroup) {
    const peak = Math.max(live, peakOverlap(intervals));
    const share = peak > 0 ? (100 * live) / peak : 100;
    out.set(g, {
      value: live,
      belowPeak: rule.peakPct !== null && live < (peak * rule.peakPct) / 100,
      detail: `${live} workers live now; at most ${peak} were live at the same time in the last ${rule.windowS} s (${formatAgainst(share, rule.peakPct ?? 100)} % of that peak)`,
    });
  }
  return out;
}

/** Per-group value for one rule at `now`. Only groups with data appear, except a rule's own group. */
async function measureValues(db: Queryable, rule: AlertRule, now: Date): Promise<Map<string, Value>> {
  const out = new Map<string, Value>();
  const w = rule.windowS;
  switch (rule.kind) {
    case "dup_rate":
    case "replays":
    case "dlq_growth":
    case "payload_mismatch": {
      const [rows] = await db.query<Row[]>(
        `SELECT consumer_group, SUM(consumed) AS consumed,
                SUM(${DUPLICATE_CAUSES.map(causeCounter).join(" + ")}) AS dups,
                SUM(dup_rebalance_replay) AS replays, SUM(dead_lettered) AS dlq, SUM(payload_mismatches) AS mismatches
           FROM group_stats_minute WHERE minute >= ? ${groupFilter(rule)} GROUP BY consumer_group`,
        [windowStart(now, w), ...groupArgs(rule)],
      );
      for (const r of rows) {
        const consumed = Number(r.consumed);
        const dups = Number(r.dups);
        const g = String(r.consumer_group);
        if (rule.kind === "dup_rate") {
          // No traffic is not a 0 % rate that could resolve or fire anything: leave it out.
          if (consumed > 0) out.set(g, { value: (100 * dups) / consumed, detail: `${dups} duplicate hits of ${consumed} consumed` });
        } else if (rule.kind === "replays") out.set(g, { value: Number(r.replays), detail: `${Number(r.replays)} duplicate hits were rebalance replays` });
        else if (rule.kind === "dlq_growth") out.set(g, { value: Number(r.dlq), detail: `${Number(r.dlq)} messages went to the dead-letter queue` });
        else out.set(g, { value: Number(r.mismatches), detail: `${Number(r.mismatches)} deliveries reused a key with a different payload` });
      }
      for (const v of out.values()) v.detail += ` in the last ${w} s`;
      return out;
    }
    case "dead_letter_reason":
      return measureDeadLetterReasons(db, rule, now);
    case "stuck_claims": {
      const [rows] = await db.query<Row[]>(
        `SELECT consumer_group, COUNT(*) AS n, MIN(lease_until) AS oldest FROM dedup_claim
          WHERE state = 'CLAIMED' AND lease_until < ? ${groupFilter(rule)} GROUP BY consumer_group`,
        [new Date(now.getTime() - w * 1000), ...groupArgs(rule)],
      );
      for (const r of rows) {
        const ageS = Math.round((now.getTime() - new Date(r.oldest).getTime()) / 1000);
        out.set(String(r.consumer_group), {
          value: Number(r.n),
          detail: `${Number(r.n)} claims are still CLAIMED more than ${w} s after their lease ran out; the oldest lease ran out ${ageS} s ago`,
        });
      }
      return out;
    }
    case "no_live_worker": {
      // Every group that ever registered a worker is watched: a crashed worker's row stays
      // 'live' with an old heartbeat, which is exactly the case this rule exists for.
      const [rows] = await db.query<Row[]>(
        `SELECT consumer_group, SUM(state = 'live' AND heartbeat_at >= ?) AS live, COUNT(*) AS total, MAX(heartbeat_at) AS last_hb
           FROM worker_instance WHERE 1 = 1 ${groupFilter(rule)} GROUP BY consumer_group`,
        [new Date(now.getTime() - w * 1000), ...groupArgs(rule)],
      );
      for (const r of rows) {
        const live = Number(r.live);
        out.set(String(r.consumer_group), {
          value: live,
          detail: `${live} of ${Number(r.total)} registered workers are live (heartbeat within ${w} s); last heartbeat ${new Date(r.last_hb).toISOString()}`,
        });
      }
      return out;
    }
    case "live_workers":
      return measureLiveWorkers(db, rule, now);
  }
}

function summaryOf(rule: AlertRule, group: string, value: number): string {
  switch (rule.kind) {
    case "dup_rate":
      return `Duplicate rate ${formatAgainst(value, rule.threshold)} % in group ${group}`;
    case "stuck_claims":
      return `${value} stuck claims in group ${group}`;
    case "replays":
      return `${value} rebalance replays in group ${group}`;
    case "no_live_worker":
      return value === 0 ? `No live worker in group ${group}` : `Only ${value} live workers in group ${group}`;
    case "dlq_growth":
      return `${value} messages dead-lettered in group ${group}`;
    case "payload_mismatch":
      return `${value} payload mismatches in group ${group}`;
    case "live_workers":
      return `Only ${value} live workers in group ${group}`;
    case "dead_letter_reason":
      return `${value} messages dead-lettered for one reason in group ${group}`;
  }
}

/** Evaluate one rule at `now`: one Measurement per group it covers. */
export async function measureRule(db: Queryable, rule: AlertRule, now: Date): Promise<Measurement[]> {
  const values = await measureValues(db, rule, now);
  // A rule naming its group watches that group even before it has any rows (a group whose
  // workers never registered has no live worker either).
  if (rule.consumerGroup !== null && !values.has(rule.consumerGroup) && rule.kind === "no_live_worker") {
    values.set(rule.consumerGroup, { value: 0, detail: "no worker of this group has ever registered" });
  }
  const resolveAt = rule.resolveThreshold ?? rule.threshold;
  const resolveNote = rule.resolveThreshold === null ? "" : `; resolves at ${describeResolve(rule.kind, resolveAt)}`;
  return [...values].map(([group, { value, detail, belowPeak }]) => {
    const firing = isBreached(rule.kind, value, rule.threshold) || belowPeak === true;
    // live_workers has no separate resolve threshold: it clears when neither part holds.
    const cleared = rule.kind === "live_workers" ? !firing : !isBreached(rule.kind, value, resolveAt);
    return {
      consumerGroup: group,
      value,
      firing,
      cleared,
      summary: summaryOf(rule, group, value),
      description: `${detail} (rule "${rule.name}": ${describeRuleCondition(rule)}${resolveNote}).`,
    };
  });
}

export interface DefaultRule {
  name: string;
  kind: AlertKind;
  threshold: number;
  windowS: number;
  severity: "critical" | "warning" | "info";
  forS: number;
  keepFiringS: number;
  resolveThreshold: number | null;
  peakPct: number | null;
}

const quiet = { forS: 0, keepFiringS: 0, resolveThreshold: null, peakPct: null };

/**
 * Sensible defaults for every group; admins tune or disable them in the dashboard. Each waits
 * before it fires (a blip is not an incident) and before it resolves (a value hovering around
 * its threshold fires once and resolves once, instead of every few seconds).
 */
export function defaultRules(): DefaultRule[] {
  return [...FIRST_DEFAULTS(), ...LATER_DEFAULTS()];
}

const FIRST_DEFAULTS = (): DefaultRule[] => [
  { ...quiet, name: "Duplicate rate above 5 %", kind: "dup_rate", threshold: 5, windowS: 300, severity: "warning", forS: 120, keepFiringS: 300, resolveThreshold: 4 },
  { ...quiet, name: "Claims stuck past their lease", kind: "stuck_claims", threshold: 0, windowS: 60, severity: "warning", forS: 60, keepFiringS: 120 },
  { ...quiet, name: "Rebalance replays", kind: "replays", threshold: 1, windowS: 300, severity: "info", keepFiringS: 600 },
  { ...quiet, name: "No live worker", kind: "no_live_worker", threshold: 0, windowS: Math.ceil(config().WORKER_TIMEOUT_S), severity: "critical", keepFiringS: 60 },
  { ...quiet, name: "Dead-letter queue growing", kind: "dlq_growth", threshold: 0, windowS: 300, severity: "critical", keepFiringS: 300 },
  { ...quiet, name: "Payload mismatch for a known key", kind: "payload_mismatch", threshold: 0, windowS: 300, severity: "warning", keepFiringS: 300 },
];

/** Defaults added after the first set: seeded once on databases that already had the first. */
const LATER_DEFAULTS = (): DefaultRule[] => [
  { ...quiet, name: "Live workers below 75 % of the group's recent peak", kind: "live_workers", threshold: 0, windowS: 900, severity: "warning", forS: 30, keepFiringS: 120, peakPct: 75 },
];

/** Each batch is created once per database, remembered by its own audit row. */
const DEFAULT_BATCHES = () => [
  { action: "alert_rule_defaults", reason: "first start: default alert rules", rules: FIRST_DEFAULTS() },
  { action: "alert_rule_defaults_live_workers", reason: "default alert rule: live workers below the recent peak", rules: LATER_DEFAULTS() },
];

/**
 * Create the default rules once per database. "Once" is remembered by an audit row
 * (operator_action, actor "system"), not by "the table is empty": an admin who deletes every
 * rule must not see them come back on the next restart. Safe when several instances start at
 * once, on one server or on several Galera nodes: the seeding transaction first writes the
 * `alert_rule_defaults` row of singleton_lease, so a second seeder waits for that row lock (one
 * server) or fails certification at COMMIT (another node), and its retry finds the audit row.
 */
export async function ensureDefaultRules(pool: Pool): Promise<{ created: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, seedDefaultRules);
    } catch (err) {
      if (attempt >= 5 || (sqlErrno(err) !== 1213 && sqlErrno(err) !== 1205)) throw err;
    }
  }
}

async function seedDefaultRules(conn: mysql.PoolConnection): Promise<{ created: number }> {
  await serializeOnSingleton(conn, DEFAULT_BATCHES()[0].action);
  const now = await dbNow(conn);
  let created = 0;
  for (const batch of DEFAULT_BATCHES()) {
    const [seen] = await conn.query<Row[]>("SELECT 1 FROM operator_action WHERE action = ? LIMIT 1", [batch.action]);
    if (seen.length > 0) continue;
    for (const r of batch.rules) {
      await conn.query(
        `INSERT INTO alert_rule (name, kind, consumer_group, threshold, window_s, severity, enabled, for_s, keep_firing_s, resolve_threshold, peak_pct, created_at, updated_at)
         VALUES (?, ?, NULL, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
        [r.name, r.kind, r.threshold, r.windowS, r.severity, r.forS, r.keepFiringS, r.resolveThreshold, r.peakPct, now, now],
      );
    }
    await conn.query(
      `INSERT INTO operator_action (ts, actor, action, reason, result, detail) VALUES (?, 'system', ?, ?, 'ok', ?)`,
      [now, batch.action, batch.reason, JSON.stringify(batch.rules.map((r) => r.name))],
    );
    created += batch.rules.length;
  }
  if (created > 0) log.info({ created }, "created default alert rules");
  return { created };
}

