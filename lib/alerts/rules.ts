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
import { describeCondition, isBreached, type AlertKind } from "./kinds";
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
}

/** One rule evaluated for one group. */
export interface Measurement {
  consumerGroup: string;
  value: number;
  firing: boolean;
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
  };
}

export async function loadRules(db: Queryable, opts: { enabledOnly?: boolean } = {}): Promise<AlertRule[]> {
  const [rows] = await db.query<Row[]>(
    `SELECT id, name, kind, consumer_group, threshold, window_s, severity, enabled FROM alert_rule
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

/** Per-group value for one rule at `now`. Only groups with data appear, except a rule's own group. */
async function measureValues(db: Queryable, rule: AlertRule, now: Date): Promise<Map<string, { value: number; detail: string }>> {
  const out = new Map<string, { value: number; detail: string }>();
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
  }
}

function summaryOf(rule: AlertRule, group: string, value: number): string {
  switch (rule.kind) {
    case "dup_rate":
      return `Duplicate rate ${value.toFixed(1)} % in group ${group}`;
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
  return [...values].map(([group, { value, detail }]) => ({
    consumerGroup: group,
    value,
    firing: isBreached(rule.kind, value, rule.threshold),
    summary: summaryOf(rule, group, value),
    description: `${detail} (rule "${rule.name}": ${describeCondition(rule.kind, rule.threshold)}).`,
  }));
}

export interface DefaultRule {
  name: string;
  kind: AlertKind;
  threshold: number;
  windowS: number;
  severity: "critical" | "warning" | "info";
}

/** Sensible defaults for every group; admins tune or disable them in the dashboard. */
export function defaultRules(): DefaultRule[] {
  return [
    { name: "Duplicate rate above 5 %", kind: "dup_rate", threshold: 5, windowS: 300, severity: "warning" },
    { name: "Claims stuck past their lease", kind: "stuck_claims", threshold: 0, windowS: 60, severity: "warning" },
    { name: "Rebalance replays", kind: "replays", threshold: 1, windowS: 300, severity: "info" },
    { name: "No live worker", kind: "no_live_worker", threshold: 0, windowS: Math.ceil(config().WORKER_TIMEOUT_S), severity: "critical" },
    { name: "Dead-letter queue growing", kind: "dlq_growth", threshold: 0, windowS: 300, severity: "critical" },
    { name: "Payload mismatch for a known key", kind: "payload_mismatch", threshold: 0, windowS: 300, severity: "warning" },
  ];
}

const SEEDED_ACTION = "alert_rule_defaults";

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
  await serializeOnSingleton(conn, SEEDED_ACTION);
  const [seen] = await conn.query<Row[]>("SELECT 1 FROM operator_action WHERE action = ? LIMIT 1", [SEEDED_ACTION]);
  if (seen.length > 0) return { created: 0 };
  const now = await dbNow(conn);
  const rules = defaultRules();
  for (const r of rules) {
    await conn.query(
      `INSERT INTO alert_rule (name, kind, consumer_group, threshold, window_s, severity, enabled, created_at, updated_at)
       VALUES (?, ?, NULL, ?, ?, ?, 1, ?, ?)`,
      [r.name, r.kind, r.threshold, r.windowS, r.severity, now, now],
    );
  }
  await conn.query(
    `INSERT INTO operator_action (ts, actor, action, reason, result, detail) VALUES (?, 'system', ?, ?, 'ok', ?)`,
    [now, SEEDED_ACTION, "first start: default alert rules", JSON.stringify(rules.map((r) => r.name))],
  );
  log.info({ created: rules.length }, "created default alert rules");
  return { created: rules.length };
}

