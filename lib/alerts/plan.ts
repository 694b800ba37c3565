/**
 * The alert state machine, as a pure function: given the rules, this tick's measurements, the
 * active silences and the stored alert_state rows of ONE consumer group, decide what changes and
 * what to notify.
 *
 *   (none | resolved) ──condition holds──▶ pending            (nothing sent)
 *   pending ──condition held for_s──▶ firing                   notify "firing"
 *   pending ──condition gone before for_s──▶ back as it was    (nothing sent)
 *   firing ──still holding, repeat interval passed, not acknowledged──▶ firing   notify again
 *   firing ──clear (past the resolve threshold, or no value)──▶ firing with clear_since
 *   firing ──clear for keep_firing_s, or rule disabled──▶ resolved   notify "resolved"
 *   firing with clear_since ──holds again──▶ firing (clear_since dropped; nothing sent)
 *
 * With for_s = keep_firing_s = 0 and no resolve threshold it is the plain fire/resolve machine.
 * A value hovering around the threshold therefore fires once and resolves once: it has to stay
 * clear for the whole keep-firing period (or cross the lower resolve threshold) to resolve.
 *
 * A notification is per group (Alertmanager groupLabels = consumer_group) and carries every
 * unsilenced alert of the group that fires now plus those that resolved in this tick; each
 * included firing alert's last_notified_at moves to now, so repeats of one group stay in step.
 * A silenced alert changes state and is recorded like any other, but is never sent; its
 * last_notified_at stays empty, so once the silence ends a still-firing alert is sent.
 * A rule whose measurement failed keeps its state: a query error never resolves an alert.
 */
import { KINDS } from "./kinds";
import type { AlertInstance } from "./payload";
import { fingerprintOf } from "./payload";
import type { AlertRule, Measurement } from "./rules";

export interface StoredState {
  ruleId: number;
  consumerGroup: string;
  fingerprint: string;
  status: "pending" | "firing" | "resolved";
  value: number;
  /** The last (or current) firing's start; for a pending row that never fired, when it became pending. */
  startsAt: Date;
  endsAt: Date | null;
  lastNotifiedAt: Date | null;
  pendingSince: Date | null;
  clearSince: Date | null;
  ackedAt: Date | null;
}

/**
 * pend/unpend/hold change stored state only; fire/repeat/resolve are notified (unless silenced);
 * keep is a firing alert that rides along in a notification of its group.
 */
export type ChangeKind = "pend" | "unpend" | "hold" | "fire" | "repeat" | "keep" | "resolve";

export interface Change {
  kind: ChangeKind;
  rule: AlertRule;
  /** The state as it should be stored after this tick; null: delete the row. */
  next: StoredState | null;
  /** The silence that holds this alert's notifications back, if any. */
  silenceId: number | null;
}

export interface GroupPlan {
  consumerGroup: string;
  changes: Change[];
  /** True when something must be sent (fire, resolve or a due repeat of an unsilenced alert). */
  notify: boolean;
  /** True when some state row changes (always when notify). */
  write: boolean;
}

export interface PlanInput {
  consumerGroup: string;
  rules: Map<number, AlertRule>;
  /** Rule id → this tick's measurement for this group; absent = not breached. */
  measurements: Map<number, Measurement>;
  /** Rule ids whose measurement failed this tick. */
  failedRules: Set<number>;
  states: StoredState[];
  now: Date;
  repeatIntervalS: number;
  /** The active silence matching (rule, this group), if any. */
  silenceFor?: (ruleId: number) => number | null;
}

export function alertLabels(rule: AlertRule, consumerGroup: string): Record<string, string> {
  return {
    alertname: KINDS[rule.kind].alertname,
    consumer_group: consumerGroup,
    severity: rule.severity,
    kind: rule.kind,
    rule_id: String(rule.id),
    rule: rule.name,
  };
}

/** Identity of an alert: its rule and group (not severity or name, which an admin may edit). */
export function alertFingerprint(rule: AlertRule, consumerGroup: string): string {
  return fingerprintOf({ alertname: KINDS[rule.kind].alertname, consumer_group: consumerGroup, rule_id: String(rule.id) });
}

const NOTIFIED: ReadonlySet<ChangeKind> = new Set(["fire", "repeat", "resolve"]);
const elapsedS = (since: Date, now: Date) => (now.getTime() - since.getTime()) / 1000;

/** The change for one (rule, group) this tick, without silence or notification bookkeeping. */
function step(rule: AlertRule, s: StoredState | undefined, m: Measurement | undefined, input: PlanInput): Omit<Change, "silenceId"> | null {
  const { consumerGroup: group, now } = input;
  const holds = rule.enabled && (m?.firing ?? false);
  if (!s || s.status === "resolved") {
    if (!holds) return null;
    if (rule.forS > 0) {
      const base = s ?? { ruleId: rule.id, consumerGroup: group, fingerprint: alertFingerprint(rule, group), startsAt: now, endsAt: null, lastNotifiedAt: null, ackedAt: null };
      return { kind: "pend", rule, next: { ...base, status: "pending", value: m!.value, pendingSince: now, clearSince: null } };
    }
    return { kind: "fire", rule, next: firingState(rule, group, m!.value, now, now) };
  }
  if (s.status === "pending") {
    if (!holds) return { kind: "unpend", rule, next: s.endsAt ? { ...s, status: "resolved", pendingSince: null } : null };
    const since = s.pendingSince ?? now;
    if (elapsedS(since, now) >= rule.forS) return { kind: "fire", rule, next: firingState(rule, group, m!.value, since, now) };
    return null;
  }
  // Firing.
  const value = m?.value ?? s.value;
  if (!rule.enabled) return { kind: "resolve", rule, next: resolvedState(s, value, now) };
  const cleared = m ? m.cleared : true;
  if (cleared) {
    const clearSince = s.clearSince ?? now;
    if (elapsedS(clearSince, now) >= rule.keepFiringS) return { kind: "resolve", rule, next: resolvedState(s, value, now) };
    return { kind: s.clearSince ? "keep" : "hold", rule, next: { ...s, value, clearSince } };
  }
  if (s.clearSince) return { kind: "hold", rule, next: { ...s, value, clearSince: null } };
  const due = !s.ackedAt && (!s.lastNotifiedAt || elapsedS(s.lastNotifiedAt, now) >= input.repeatIntervalS);
  return { kind: due ? "repeat" : "keep", rule, next: { ...s, value } };
}

function firingState(rule: AlertRule, group: string, value: number, startsAt: Date, now: Date): StoredState {
  return { ruleId: rule.id, consumerGroup: group, fingerprint: alertFingerprint(rule, group), status: "firing", value, startsAt, endsAt: null, lastNotifiedAt: now, pendingSince: null, clearSince: null, ackedAt: null };
}

/** Resolved: the acknowledgement ends with the alert (the next firing is a new incident). */
function resolvedState(s: StoredState, value: number, now: Date): StoredState {
  return { ...s, status: "resolved", value, endsAt: now, lastNotifiedAt: now, clearSince: null, pendingSince: null, ackedAt: null };
}

export function planGroup(input: PlanInput): GroupPlan {
  const { consumerGroup: group, now } = input;
  const changes: Change[] = [];
  const stateByRule = new Map(input.states.map((s) => [s.ruleId, s]));
  const ruleIds = new Set<number>([...input.measurements.keys(), ...stateByRule.keys()]);
  for (const ruleId of [...ruleIds].sort((a, b) => a - b)) {
    const rule = input.rules.get(ruleId);
    const s = stateByRule.get(ruleId);
    if (!rule) continue;
    const silenceId = input.silenceFor?.(ruleId) ?? null;
    if (input.failedRules.has(ruleId)) {
      if (s?.status === "firing") changes.push({ kind: "keep", rule, next: s, silenceId });
      continue;
    }
    const c = step(rule, s, input.measurements.get(ruleId), input);
    if (c) changes.push({ ...c, silenceId });
  }
  // A repeat of a silenced alert is nothing to do: it stays due until its silence ends.
  for (const c of changes) if (c.kind === "repeat" && c.silenceId !== null) c.kind = "keep";
  const notify = changes.some((c) => NOTIFIED.has(c.kind) && c.silenceId === null);
  for (const c of changes) {
    if (!c.next) continue;
    // A silenced firing alert has not been sent: once its silence ends it is due at once.
    if (c.silenceId !== null && (c.kind === "fire" || c.kind === "resolve")) c.next = { ...c.next, lastNotifiedAt: null };
    // Every unsilenced firing alert rides along, so its repeat clock restarts with the group's.
    else if (notify && c.silenceId === null && c.next.status === "firing") c.next = { ...c.next, lastNotifiedAt: now };
  }
  const write = notify || changes.some((c) => c.kind !== "keep");
  return { consumerGroup: group, changes, notify, write };
}

/** The changes whose alerts go into this tick's notification of the group. */
export function notifiedChanges(plan: GroupPlan): Change[] {
  if (!plan.notify) return [];
  return plan.changes.filter((c) => c.silenceId === null && c.next && (c.kind === "resolve" || c.next.status === "firing"));
}

/** The alerts[] entries of a group notification. */
export function alertsOf(plan: GroupPlan, measurements: Map<number, Measurement>, baseUrl: string): AlertInstance[] {
  return notifiedChanges(plan).map((c) => {
    const next = c.next!;
    const m = measurements.get(c.rule.id);
    const resolved = c.kind === "resolve";
    const title = KINDS[c.rule.kind].title;
    return {
      status: resolved ? "resolved" : "firing",
      labels: alertLabels(c.rule, plan.consumerGroup),
      annotations: resolved
        ? {
            summary: `${title} back to normal in group ${plan.consumerGroup}`,
            description: m ? m.description : `Rule "${c.rule.name}" was disabled or no longer measures this group.`,
          }
        : {
            summary: m?.summary ?? `${title} in group ${plan.consumerGroup}`,
            description: m?.description ?? `Value ${next.value}; this tick's measurement was unavailable.`,
          },
      startsAt: next.startsAt,
      endsAt: resolved ? next.endsAt : null,
      generatorURL: `${baseUrl}/alerts?rule=${c.rule.id}`,
      fingerprint: next.fingerprint,
    };
  });
}
