"use client";
/** Create or edit one alert rule; the help under each number comes from lib/alerts/kinds.ts. */
import { useState, type FormEvent } from "react";
import { ALERT_KINDS, describeRuleCondition, GROUP_PATTERN, KINDS, type AlertKind } from "@/lib/alerts/kinds";
import type { AlertRule } from "@/lib/alerts/rules";
import styles from "./alerts.module.css";
import { FormCard } from "./FormCard";
import type { Rule } from "./types";

/** Starting numbers per kind for a new rule (the defaults of lib/alerts/rules.ts). */
const SUGGESTED: Record<AlertKind, { threshold: number; windowS: number; severity: string; forS: number; keepFiringS: number; resolveThreshold?: number; peakPct?: number }> = {
  dup_rate: { threshold: 5, windowS: 300, severity: "warning", forS: 120, keepFiringS: 300, resolveThreshold: 4 },
  stuck_claims: { threshold: 0, windowS: 60, severity: "warning", forS: 60, keepFiringS: 120 },
  replays: { threshold: 1, windowS: 300, severity: "info", forS: 0, keepFiringS: 600 },
  no_live_worker: { threshold: 0, windowS: 30, severity: "critical", forS: 0, keepFiringS: 60 },
  dlq_growth: { threshold: 0, windowS: 300, severity: "critical", forS: 0, keepFiringS: 300 },
  payload_mismatch: { threshold: 0, windowS: 300, severity: "warning", forS: 0, keepFiringS: 300 },
  live_workers: { threshold: 0, windowS: 900, severity: "warning", forS: 30, keepFiringS: 120, peakPct: 75 },
  dead_letter_reason: { threshold: 0, windowS: 300, severity: "warning", forS: 0, keepFiringS: 300 },
};

const optionalNumber = (text: string) => (text.trim() === "" ? null : Number(text));

export type RuleInput = Omit<AlertRule, "id">;

/** The form's text fields for a kind's suggested numbers. */
function suggested(kind: AlertKind) {
  const s = SUGGESTED[kind];
  const text = (n: number | undefined) => (n === undefined ? "" : String(n));
  return { threshold: text(s.threshold), windowS: text(s.windowS), severity: s.severity, forS: text(s.forS), keepFiringS: text(s.keepFiringS), resolveThreshold: text(s.resolveThreshold), peakPct: text(s.peakPct) };
}

interface Props {
  /** The rule being edited; absent for a new one. */
  rule?: Rule;
  busy: boolean;
  onSubmit: (input: RuleInput) => Promise<boolean>;
  onCancel?: () => void;
}

export function RuleForm({ rule, busy, onSubmit, onCancel }: Props) {
  const fresh = () => ({ name: "", kind: "dup_rate" as AlertKind, consumerGroup: "", ...suggested("dup_rate"), enabled: true });
  const [v, setV] = useState(() =>
    rule
      ? {
          name: rule.name,
          kind: rule.kind,
          consumerGroup: rule.consumerGroup ?? "",
          threshold: String(rule.threshold),
          windowS: String(rule.windowS),
          severity: rule.severity,
          forS: String(rule.forS),
          keepFiringS: String(rule.keepFiringS),
          resolveThreshold: rule.resolveThreshold === null ? "" : String(rule.resolveThreshold),
          peakPct: rule.peakPct === null ? "" : String(rule.peakPct),
          enabled: rule.enabled,
        }
      : fresh(),
  );
  const k = KINDS[v.kind];
  const threshold = Number(v.threshold);

  function setKind(kind: AlertKind) {
    setV((x) => ({ ...x, kind, ...suggested(kind) }));
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
      forS: Number(v.forS),
      keepFiringS: Number(v.keepFiringS),
      resolveThreshold: v.kind === "live_workers" ? null : optionalNumber(v.resolveThreshold),
      peakPct: v.kind === "live_workers" ? optionalNumber(v.peakPct) : null,
      enabled: v.enabled,
    });
    if (ok && !rule) setV(fresh());
  }

  const set = (key: "name" | "consumerGroup" | "threshold" | "windowS" | "severity" | "forS" | "keepFiringS" | "resolveThreshold" | "peakPct") => (e: { target: { value: string } }) => setV((x) => ({ ...x, [key]: e.target.value }));
  return (
    <FormCard
      label={rule ? `Edit rule ${rule.name}` : "New alert rule"}
      title={rule ? `Edit rule “${rule.name}”` : "New alert rule"}
      note={
        <>
          Fires when: <b>{Number.isFinite(threshold) ? describeRuleCondition({ kind: v.kind, threshold, windowS: Number(v.windowS), peakPct: optionalNumber(v.peakPct) }) : "…"}</b> for a group
          {Number(v.forS) > 0 ? `, held ${v.forS} s` : ""}.
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
        <input value={v.consumerGroup} onChange={set("consumerGroup")} placeholder="every group" pattern={GROUP_PATTERN} />
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
      {v.kind === "live_workers" ? (
        <label>
          Share of the peak (%)
          <input type="number" value={v.peakPct} onChange={set("peakPct")} min={1} max={100} step="any" placeholder="none" />
          <span className={styles.help}>Also fires when fewer than this share of the most workers live at once in the window are live (e.g. 75: one of two lost).</span>
        </label>
      ) : (
        <label>
          Resolve threshold ({k.unit})
          <input type="number" value={v.resolveThreshold} onChange={set("resolveThreshold")} step={k.integerThreshold ? 1 : "any"} placeholder="the threshold" />
          <span className={styles.help}>A firing alert resolves only once the value is back past this (e.g. fire above 5 %, resolve at 4 %). Empty: the threshold.</span>
        </label>
      )}
      <label>
        Pending for (seconds)
        <input type="number" value={v.forS} onChange={set("forS")} required min={0} max={86400} step={1} />
        <span className={styles.help}>Fires only after the condition held this long (a blip is not an incident).</span>
      </label>
      <label>
        Keep firing for (seconds)
        <input type="number" value={v.keepFiringS} onChange={set("keepFiringS")} required min={0} max={86400} step={1} />
        <span className={styles.help}>Resolves only after the condition stayed clear this long, so a value hovering at the threshold does not flap.</span>
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
