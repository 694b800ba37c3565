/**
 * The alert state machine, as a pure function: given the rules, this tick's measurements and the
 * stored alert_state rows of ONE consumer group, decide what changes and what to notify.
 *
 *   (none | resolved) ──breached──▶ firing   notify "firing"
 *   firing ──still breached, repeat interval passed──▶ firing   notify again (repeat)
 *   firing ──not breached, or rule disabled──▶ resolved   notify "resolved"
 *
 * A notification is per group (Alertmanager groupLabels = consumer_group) and carries every alert
 * of the group that fires now plus those that resolved in this tick; each included firing alert's
 * last_notified_at moves to now, so repeats of one group stay in step.
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
  status: "firing" | "resolved";
  value: number;
  startsAt: Date;
  endsAt: Date | null;
  lastNotifiedAt: Date | null;
}

export type ChangeKind = "fire" | "repeat" | "keep" | "resolve";

export interface Change {
  kind: ChangeKind;
  rule: AlertRule;
  /** The state as it should be stored after this tick. */
  next: StoredState;
}

export interface GroupPlan {
  consumerGroup: string;
  changes: Change[];
  /** True when something must be sent (fire, resolve or a due repeat). */
  notify: boolean;
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

export function planGroup(input: PlanInput): GroupPlan {
  const { consumerGroup: group, now } = input;
  const changes: Change[] = [];
  const stateByRule = new Map(input.states.map((s) => [s.ruleId, s]));
  const ruleIds = new Set<number>([...input.measurements.keys(), ...stateByRule.keys()]);
  for (const ruleId of [...ruleIds].sort((a, b) => a - b)) {
    const rule = input.rules.get(ruleId);
    const s = stateByRule.get(ruleId);
    if (!rule || input.failedRules.has(ruleId)) {
      if (s?.status === "firing" && rule) changes.push({ kind: "keep", rule, next: s });
      continue;
    }
    const m = rule.enabled ? input.measurements.get(ruleId) : undefined;
    const breached = m?.firing ?? false;
    if (breached && s?.status !== "firing") {
      changes.push({
        kind: "fire",
        rule,
        next: { ruleId, consumerGroup: group, fingerprint: alertFingerprint(rule, group), status: "firing", value: m!.value, startsAt: now, endsAt: null, lastNotifiedAt: now },
      });
    } else if (breached && s) {
      const due = !s.lastNotifiedAt || now.getTime() - s.lastNotifiedAt.getTime() >= input.repeatIntervalS * 1000;
      changes.push({ kind: due ? "repeat" : "keep", rule, next: { ...s, value: m!.value } });
    } else if (!breached && s?.status === "firing") {
      changes.push({ kind: "resolve", rule, next: { ...s, status: "resolved", value: m?.value ?? s.value, endsAt: now, lastNotifiedAt: now } });
    }
  }
  const notify = changes.some((c) => c.kind !== "keep");
  if (notify) {
    // Every firing alert of the group rides along, so its repeat clock restarts with the group's.
    for (const c of changes) if (c.kind === "keep" || c.kind === "repeat") c.next = { ...c.next, lastNotifiedAt: now };
  }
  return { consumerGroup: group, changes, notify };
}

/** The alerts[] entries of a group notification. */
export function alertsOf(plan: GroupPlan, measurements: Map<number, Measurement>, baseUrl: string): AlertInstance[] {
  return plan.changes.map((c) => {
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
            description: m?.description ?? `Value ${c.next.value}; this tick's measurement was unavailable.`,
          },
      startsAt: c.next.startsAt,
      endsAt: resolved ? c.next.endsAt : null,
      generatorURL: `${baseUrl}/alerts?rule=${c.rule.id}`,
      fingerprint: c.next.fingerprint,
    };
  });
}
