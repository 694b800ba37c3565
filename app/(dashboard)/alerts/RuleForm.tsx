"use client";
/** Create or edit one alert rule; the help under each number comes from lib/alerts/kinds.ts. */
import { useState, type FormEvent } from "react";
import { ALERT_KINDS, describeCondition, KINDS, type AlertKind } from "@/lib/alerts/kinds";
import type { AlertRule } from "@/lib/alerts/rules";
import styles from "./alerts.module.css";
import { FormCard } from "./FormCard";
import type { Rule } from "./types";

/** Starting numbers per kind for a new rule (the defaults of lib/alerts/rules.ts). */
const SUGGESTED: Record<AlertKind, { threshold: number; windowS: number; severity: string }> = {
  dup_rate: { threshold: 5, windowS: 300, severity: "warning" },
  stuck_claims: { threshold: 0, windowS: 60, severity: "warning" },
  replays: { threshold: 1, windowS: 300, severity: "info" },
  no_live_worker: { threshold: 0, windowS: 30, severity: "critical" },
  dlq_growth: { threshold: 0, windowS: 300, severity: "critical" },
  payload_mismatch: { threshold: 0, windowS: 300, severity: "warning" },
  dead_letter_reason: { threshold: 0, windowS: 300, severity: "warning" },
};

export type RuleInput = Omit<AlertRule, "id">;

interface Props {
  /** The rule being edited; absent for a new one. */
  rule?: Rule;
  busy: boolean;
  onSubmit: (input: RuleInput) => Promise<boolean>;
  onCancel?: () => void;
}

export function RuleForm({ rule, busy, onSubmit, onCancel }: Props) {
  const fresh = () => ({ name: "", kind: "dup_rate" as AlertKind, consumerGroup: "", threshold: "5", windowS: "300", severity: "warning", enabled: true });
  const [v, setV] = useState(() =>
    rule
      ? { name: rule.name, kind: rule.kind, consumerGroup: rule.consumerGroup ?? "", threshold: String(rule.threshold), windowS: String(rule.windowS), severity: rule.severity, enabled: rule.enabled }
      : fresh(),
  );
  const k = KINDS[v.kind];
  const threshold = Number(v.threshold);

  function setKind(kind: AlertKind) {
    const s = SUGGESTED[kind];
    setV((x) => ({ ...x, kind, threshold: String(s.threshold), windowS: String(s.windowS), severity: s.severity }));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await onSubmit({
      name: v.name,
      kind: v.kind,
      consumerGroup: v.consumerGroup.trim() || null,
      threshold,
      windowS: Number(v.windowS),
      severity: v.severity,
      enabled: v.enabled,
    });
    if (ok && !rule) setV(fresh());
  }

  const set = (key: "name" | "consumerGroup" | "threshold" | "windowS" | "severity") => (e: { target: { value: string } }) => setV((x) => ({ ...x, [key]: e.target.value }));
  return (
    <FormCard
      label={rule ? `Edit rule ${rule.name}` : "New alert rule"}
      title={rule ? `Edit rule “${rule.name}”` : "New alert rule"}
      note={
        <>
          Fires when: <b>{Number.isFinite(threshold) ? describeCondition(v.kind, threshold) : "…"}</b> for a group.
        </>
      }
      submitLabel={rule ? "Save rule" : "Create rule"}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <label className={styles.wide}>
        Name
        <input value={v.name} onChange={set("name")} required maxLength={255} placeholder="e.g. Payments: duplicate rate" autoFocus={!!rule} />
      </label>
      <label>
        Kind
        <select value={v.kind} onChange={(e) => setKind(e.target.value as AlertKind)} disabled={!!rule} title={rule ? "a rule's kind cannot change; create a new rule" : undefined}>
          {ALERT_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {KINDS[kind].title}
            </option>
          ))}
        </select>
      </label>
      <label>
        Consumer group
        <input value={v.consumerGroup} onChange={set("consumerGroup")} placeholder="every group" pattern="[%|\w.\-]+" />
        <span className={styles.help}>Empty: the rule watches every group (one alert per group).</span>
      </label>
      <label>
        Threshold ({k.unit})
        <input
          type="number"
          value={v.threshold}
          onChange={set("threshold")}
          required
          min={k.thresholdRange[0]}
          max={k.thresholdRange[1]}
          step={k.integerThreshold ? 1 : "any"}
        />
        <span className={styles.help}>{k.thresholdHelp}.</span>
      </label>
      <label>
        Window (seconds)
        <input type="number" value={v.windowS} onChange={set("windowS")} required min={k.minWindowS} max={7 * 24 * 3600} step={1} />
        <span className={styles.help}>{k.windowHelp}.</span>
      </label>
      <label>
        Severity
        <select value={v.severity} onChange={set("severity")}>
          <option>critical</option>
          <option>warning</option>
          <option>info</option>
        </select>
      </label>
      <label className={styles.check}>
        <input type="checkbox" checked={v.enabled} onChange={(e) => setV((x) => ({ ...x, enabled: e.target.checked }))} />
        Enabled
      </label>
    </FormCard>
  );
}
