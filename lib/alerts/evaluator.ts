/**
 * One evaluation tick, and the loop that runs it in the elected instance only.
 *
 * A tick measures every rule, plans each consumer group (plan.ts), and for each group that has
 * something to send runs ONE transaction: re-read the group's alert_state FOR UPDATE, re-plan
 * from that fresh state, write the new state and insert one outbox row (webhook_message) per
 * enabled endpoint. State and notification commit together, so a crash can neither lose a
 * notification nor send it twice, and an evaluator that restarts (or a second one that briefly
 * believes it leads) sees last_notified_at and stays quiet.
 */
import type mysql from "mysql2/promise";
import { config } from "../config";
import { LeaseLostError, sqlErrno } from "@dedup-audit/runtime/db";
import { log } from "../log";
import { repeatEvery } from "@dedup-audit/runtime";
import { dbNow, withTransaction, type Pool, type Row } from "./db";
import { createLeadership, type Leadership } from "./leader";
import { enqueueForEnabledEndpoints } from "./outbox";
import { publicBaseUrl } from "./payload";
import { alertsOf, planGroup, type StoredState } from "./plan";
import { loadRules, measureRule, type AlertRule, type Measurement } from "./rules";

export interface EvaluateOptions {
  repeatIntervalS?: number;
  baseUrl?: string;
  /** Inside each state-writing transaction: prove this instance still leads (Leadership.hold). */
  fence?: (conn: mysql.PoolConnection) => Promise<void>;
}

export interface TickResult {
  fired: number;
  resolved: number;
  repeated: number;
  /** Outbox rows inserted (one per group notification per endpoint). */
  enqueued: number;
}

function stateFromRow(r: Row): StoredState {
  return {
    ruleId: Number(r.rule_id),
    consumerGroup: String(r.consumer_group),
    fingerprint: String(r.fingerprint),
    status: r.status === "firing" ? "firing" : "resolved",
    value: Number(r.value),
    startsAt: new Date(r.starts_at),
    endsAt: r.ends_at ? new Date(r.ends_at) : null,
    lastNotifiedAt: r.last_notified_at ? new Date(r.last_notified_at) : null,
  };
}

const STATE_COLUMNS = "rule_id, consumer_group, fingerprint, status, value, starts_at, ends_at, last_notified_at";

async function writeState(conn: mysql.PoolConnection, s: StoredState): Promise<void> {
  await conn.query(
    `INSERT INTO alert_state (${STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE fingerprint = VALUES(fingerprint), status = VALUES(status), value = VALUES(value),
       starts_at = VALUES(starts_at), ends_at = VALUES(ends_at), last_notified_at = VALUES(last_notified_at)`,
    [s.ruleId, s.consumerGroup, s.fingerprint, s.status, s.value, s.startsAt, s.endsAt, s.lastNotifiedAt],
  );
}

/** Measure every enabled rule; a rule whose query fails is reported, never treated as "fine". */
async function measureAll(pool: Pool, rules: AlertRule[], now: Date) {
  const byGroup = new Map<string, Map<number, Measurement>>();
  const failed = new Set<number>();
  for (const rule of rules.filter((r) => r.enabled)) {
    try {
      for (const m of await measureRule(pool, rule, now)) {
        if (!byGroup.has(m.consumerGroup)) byGroup.set(m.consumerGroup, new Map());
        byGroup.get(m.consumerGroup)!.set(rule.id, m);
      }
    } catch (err) {
      failed.add(rule.id);
      log.error({ err, ruleId: rule.id, kind: rule.kind }, "alert rule measurement failed; its alerts keep their state");
    }
  }
  return { byGroup, failed };
}

/**
 * Two writers on one group (a deposed leader still finishing its tick) can deadlock on the first
 * insert of a state row; the loser re-runs and, re-reading the winner's state, sends nothing.
 */
async function retryOnDeadlock<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 3 || (sqlErrno(err) !== 1213 && sqlErrno(err) !== 1205)) throw err;
    }
  }
}

/** Run one evaluation. Callers make sure only the elected instance calls it. */
export async function evaluateOnce(pool: Pool, opts: EvaluateOptions = {}): Promise<TickResult> {
  const repeatIntervalS = opts.repeatIntervalS ?? config().ALERT_REPEAT_INTERVAL_S;
  const baseUrl = opts.baseUrl ?? publicBaseUrl();
  const now = await dbNow(pool);
  const rules = await loadRules(pool);
  const rulesById = new Map(rules.map((r) => [r.id, r]));
  const { byGroup, failed } = await measureAll(pool, rules, now);
  const [stateRows] = await pool.query<Row[]>(`SELECT ${STATE_COLUMNS} FROM alert_state`);
  const statesByGroup = new Map<string, StoredState[]>();
  for (const s of stateRows.map(stateFromRow)) {
    if (!statesByGroup.has(s.consumerGroup)) statesByGroup.set(s.consumerGroup, []);
    statesByGroup.get(s.consumerGroup)!.push(s);
  }

  const result: TickResult = { fired: 0, resolved: 0, repeated: 0, enqueued: 0 };
  for (const group of new Set([...byGroup.keys(), ...statesByGroup.keys()])) {
    const measurements = byGroup.get(group) ?? new Map<number, Measurement>();
    const base = { consumerGroup: group, rules: rulesById, measurements, failedRules: failed, now, repeatIntervalS };
    // Cheap pre-check outside any transaction: most groups have nothing to send most ticks.
    if (!planGroup({ ...base, states: statesByGroup.get(group) ?? [] }).notify) continue;
    const sent = await retryOnDeadlock(() =>
      withTransaction(pool, async (conn) => {
        const [fresh] = await conn.query<Row[]>(`SELECT ${STATE_COLUMNS} FROM alert_state WHERE consumer_group = ? FOR UPDATE`, [group]);
        const plan = planGroup({ ...base, states: fresh.map(stateFromRow) });
        if (!plan.notify) return undefined;
        await opts.fence?.(conn);
        for (const c of plan.changes) await writeState(conn, c.next);
        const enqueued = await enqueueForEnabledEndpoints(conn, { consumerGroup: group, alerts: alertsOf(plan, measurements, baseUrl), baseUrl, now });
        return { plan, enqueued };
      }),
    );
    if (!sent) continue;
    result.enqueued += sent.enqueued;
    for (const c of sent.plan.changes) {
      if (c.kind === "fire") result.fired++;
      else if (c.kind === "resolve") result.resolved++;
      else if (c.kind === "repeat") result.repeated++;
    }
    log.info({ consumerGroup: group, changes: sent.plan.changes.map((c) => `${c.rule.kind}:${c.kind}`), enqueued: sent.enqueued }, "alert notification enqueued");
  }
  return result;
}

export interface EvaluatorOptions extends EvaluateOptions {
  pool: Pool;
  intervalS?: number;
  /** Called after a tick enqueued notifications (the runner wakes the delivery loop). */
  onEnqueued?: () => void;
  leadership?: Leadership;
}

export interface RunningEvaluator {
  isLeader(): boolean;
  leadership: Leadership;
  /** Resolves when the current tick (if any) finished; idempotent. */
  stop(): Promise<void>;
  /** Run a tick now (tests, and right after winning the election). */
  tick(): Promise<TickResult | undefined>;
}

/** Start the evaluation loop: every interval, check leadership, then evaluate if leading. */
export function startEvaluator(opts: EvaluatorOptions): RunningEvaluator {
  const intervalMs = (opts.intervalS ?? config().ALERT_EVAL_INTERVAL_S) * 1000;
  const leadership = opts.leadership ?? createLeadership(opts.pool);
  let stopped: Promise<void> | undefined;

  const tick = async (): Promise<TickResult | undefined> => {
    if (!(await leadership.check())) return undefined;
    let r: TickResult;
    try {
      r = await evaluateOnce(opts.pool, { ...opts, fence: (conn) => leadership.hold(conn) });
    } catch (err) {
      // Deposed mid-tick (the lease ran out and another instance took it): nothing was written.
      if (err instanceof LeaseLostError) return undefined;
      throw err;
    }
    if (r.enqueued > 0) opts.onEnqueued?.();
    return r;
  };
  // A slow tick delays the next instead of piling up; the timer keeps the alert process alive.
  const loop = repeatEvery(intervalMs, tick, {
    onError: (err) => log.error({ err }, "alert evaluation failed; retrying next interval"),
    runAtStart: true,
    unref: false,
  });

  return {
    isLeader: () => leadership.isLeader(),
    leadership,
    tick: loop.runNow,
    stop() {
      stopped ??= (async () => {
        await loop.stop();
        await leadership.close();
      })();
      return stopped;
    },
  };
}
