/**
 * One evaluation tick, and the loop that runs it in the elected instance only.
 *
 * A tick measures every rule, reads the active silences, plans each consumer group (plan.ts),
 * and for each group whose state changes runs ONE transaction: re-read the group's alert_state
 * FOR UPDATE, re-plan from that fresh state, write the new state, append the fires and resolves
 * to the alert history (alert_event), and insert one outbox row (webhook_message) per enabled
 * endpoint when something is to be sent. State, history and notification commit together, so a
 * crash can neither lose a notification nor send it twice, and an evaluator that restarts (or a
 * second one that briefly believes it leads) sees last_notified_at and stays quiet. A fire or
 * resolve a silence held back is also written to the audit log, naming the silence.
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
import { alertsOf, notifiedChanges, planGroup, type Change, type GroupPlan, type StoredState } from "./plan";
import { activeSilences, silenceMatcher, type ActiveSilence } from "./silences";
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
  /** Alerts whose condition started to hold but whose pending period has not passed. */
  pending: number;
  /** Fires and resolves a silence kept from being sent. */
  silenced: number;
  /** Outbox rows inserted (one per group notification per endpoint). */
  enqueued: number;
}

function stateFromRow(r: Row): StoredState {
  return {
    ruleId: Number(r.rule_id),
    consumerGroup: String(r.consumer_group),
    fingerprint: String(r.fingerprint),
    status: r.status === "firing" || r.status === "pending" ? r.status : "resolved",
    value: Number(r.value),
    startsAt: new Date(r.starts_at),
    endsAt: r.ends_at ? new Date(r.ends_at) : null,
    lastNotifiedAt: r.last_notified_at ? new Date(r.last_notified_at) : null,
    pendingSince: r.pending_since ? new Date(r.pending_since) : null,
    clearSince: r.clear_since ? new Date(r.clear_since) : null,
    ackedAt: r.acked_at ? new Date(r.acked_at) : null,
  };
}

const STATE_COLUMNS = "rule_id, consumer_group, fingerprint, status, value, starts_at, ends_at, last_notified_at, pending_since, clear_since, acked_at";

/** Store one change; an acknowledgement the plan dropped (the alert resolved or fired anew) goes with its author and note. */
async function writeChange(conn: mysql.PoolConnection, c: Change, group: string): Promise<void> {
  const s = c.next;
  if (!s) {
    await conn.query("DELETE FROM alert_state WHERE rule_id = ? AND consumer_group = ?", [c.rule.id, group]);
    return;
  }
  await conn.query(
    `INSERT INTO alert_state (${STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE fingerprint = VALUES(fingerprint), status = VALUES(status), value = VALUES(value),
       starts_at = VALUES(starts_at), ends_at = VALUES(ends_at), last_notified_at = VALUES(last_notified_at),
       pending_since = VALUES(pending_since), clear_since = VALUES(clear_since),
       acked_by = IF(VALUES(acked_at) IS NULL, NULL, acked_by), ack_note = IF(VALUES(acked_at) IS NULL, NULL, ack_note), acked_at = VALUES(acked_at)`,
    [s.ruleId, s.consumerGroup, s.fingerprint, s.status, s.value, s.startsAt, s.endsAt, s.lastNotifiedAt, s.pendingSince, s.clearSince, s.ackedAt],
  );
}

/** Fires and resolves go into the alert history; one a silence held back also into the audit log. */
async function recordHistory(conn: mysql.PoolConnection, plan: GroupPlan, silences: ActiveSilence[], now: Date): Promise<void> {
  for (const c of plan.changes) {
    if (c.kind !== "fire" && c.kind !== "resolve") continue;
    const event = c.kind === "fire" ? "fired" : "resolved";
    await conn.query("INSERT INTO alert_event (ts, rule_id, consumer_group, event, value, silence_id) VALUES (?, ?, ?, ?, ?, ?)", [
      now,
      c.rule.id,
      plan.consumerGroup,
      event,
      c.next?.value ?? null,
      c.silenceId,
    ]);
    if (c.silenceId === null) continue;
    const silence = silences.find((x) => x.id === c.silenceId);
    await conn.query(
      `INSERT INTO operator_action (ts, actor, action, consumer_group, reason, result, detail) VALUES (?, 'system', 'alert_silenced', ?, ?, 'ok', ?)`,
      [
        now,
        plan.consumerGroup,
        `"${c.rule.name}" ${event}; not sent: silence ${c.silenceId} by ${silence?.createdBy ?? "?"} (${silence?.reason ?? ""})`,
        JSON.stringify({ ruleId: c.rule.id, event, value: c.next?.value ?? null, silenceId: c.silenceId }),
      ],
    );
  }
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
  const silences = await activeSilences(pool, now);
  const [stateRows] = await pool.query<Row[]>(`SELECT ${STATE_COLUMNS} FROM alert_state`);
  const statesByGroup = new Map<string, StoredState[]>();
  for (const s of stateRows.map(stateFromRow)) {
    if (!statesByGroup.has(s.consumerGroup)) statesByGroup.set(s.consumerGroup, []);
    statesByGroup.get(s.consumerGroup)!.push(s);
  }

  const result: TickResult = { fired: 0, resolved: 0, repeated: 0, pending: 0, silenced: 0, enqueued: 0 };
  for (const group of new Set([...byGroup.keys(), ...statesByGroup.keys()])) {
    const measurements = byGroup.get(group) ?? new Map<number, Measurement>();
    const base = { consumerGroup: group, rules: rulesById, measurements, failedRules: failed, now, repeatIntervalS, silenceFor: silenceMatcher(silences, group) };
    // Cheap pre-check outside any transaction: most groups have nothing to change most ticks.
    if (!planGroup({ ...base, states: statesByGroup.get(group) ?? [] }).write) continue;
    const done = await retryOnDeadlock(() =>
      withTransaction(pool, async (conn) => {
        const [fresh] = await conn.query<Row[]>(`SELECT ${STATE_COLUMNS} FROM alert_state WHERE consumer_group = ? FOR UPDATE`, [group]);
        const plan = planGroup({ ...base, states: fresh.map(stateFromRow) });
        if (!plan.write) return undefined;
        await opts.fence?.(conn);
        for (const c of plan.changes) await writeChange(conn, c, group);
        await recordHistory(conn, plan, silences, now);
        const enqueued = plan.notify ? await enqueueForEnabledEndpoints(conn, { consumerGroup: group, alerts: alertsOf(plan, measurements, baseUrl), baseUrl, now }) : 0;
        return { plan, enqueued };
      }),
    );
    if (!done) continue;
    result.enqueued += done.enqueued;
    for (const c of done.plan.changes) {
      if (c.silenceId !== null && (c.kind === "fire" || c.kind === "resolve")) result.silenced++;
      if (c.kind === "fire") result.fired++;
      else if (c.kind === "resolve") result.resolved++;
      else if (c.kind === "repeat") result.repeated++;
      else if (c.kind === "pend") result.pending++;
    }
    if (done.plan.notify) {
      const sent = notifiedChanges(done.plan).map((c) => `${c.rule.kind}:${c.kind}`);
      log.info({ consumerGroup: group, changes: sent, enqueued: done.enqueued }, "alert notification enqueued");
    }
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
