"use client";
/**
 * Silences: while one is active, the alerts it matches (a rule, a group, or a rule in a group)
 * change state and are recorded as usual, but their notifications are held back. Each names who
 * created it, why and until when; creating and ending one is in the audit log.
 */
import { useState, type FormEvent } from "react";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { useSession } from "@/app/components/SessionContext";
import { useAction } from "@/app/components/useAction";
import { usePolling } from "@/app/components/usePolling";
import { GROUP_PATTERN } from "@/lib/alerts/kinds";
import { canSilenceAlerts } from "@/lib/permissions/roles";
import styles from "./alerts.module.css";
import { FormCard } from "./FormCard";
import type { Rule, Silence } from "./types";

const DURATIONS = [
  { s: 3600, label: "1 hour" },
  { s: 4 * 3600, label: "4 hours" },
  { s: 24 * 3600, label: "1 day" },
  { s: 7 * 24 * 3600, label: "7 days" },
];

function NewSilence({ rules, onCreated }: { rules: Rule[]; onCreated: () => void }) {
  const { run, error, busy } = useAction();
  const [v, setV] = useState({ ruleId: "", consumerGroup: "", durationS: "3600", reason: "" });
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV((x) => ({ ...x, [k]: e.target.value }));
  async function submit(e: FormEvent) {
    e.preventDefault();
    const body = { ruleId: v.ruleId ? Number(v.ruleId) : null, consumerGroup: v.consumerGroup.trim() || null, durationS: Number(v.durationS), reason: v.reason };
    if (await run((send) => send("/api/alerts/silences", "POST", body))) {
      setV({ ruleId: "", consumerGroup: "", durationS: "3600", reason: "" });
      onCreated();
    }
  }
  return (
    <>
      <ErrorAlert error={error} />
      <FormCard label="New silence" title="New silence" note="Name a rule, a group or both. Alerts keep their history; only notifications are held back." submitLabel="Silence" busy={busy} onSubmit={submit}>
        <label>
          Rule
          <select value={v.ruleId} onChange={set("ruleId")}>
            <option value="">every rule</option>
            {rules.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Consumer group
          <input value={v.consumerGroup} onChange={set("consumerGroup")} placeholder="every group" pattern={GROUP_PATTERN} />
        </label>
        <label>
          For
          <select value={v.durationS} onChange={set("durationS")}>
            {DURATIONS.map((d) => (
              <option key={d.s} value={d.s}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <label className={styles.wide}>
          Reason
          <input value={v.reason} onChange={set("reason")} required minLength={3} maxLength={1024} placeholder="e.g. load test until 15:00" />
        </label>
      </FormCard>
    </>
  );
}

export function SilencesTab() {
  const { user } = useSession();
  const canAct = canSilenceAlerts(user);
  const { data, reload } = usePolling<Json<{ silences: Silence[] }>>("/api/alerts/silences", 10_000);
  const rules = usePolling<Json<{ rules: Rule[] }>>("/api/alerts/rules", 60_000);
  const { run, error, busy } = useAction();
  const end = async (s: Silence) => {
    if (window.confirm(`End silence ${s.id} now? Alerts it holds are sent from the next evaluation.`) && (await run((send) => send(`/api/alerts/silences/${s.id}`, "DELETE")))) reload();
  };
  return (
    <section aria-label="Silences">
      <ErrorAlert error={error} />
      {data && data.silences.length === 0 ? <EmptyState title="No silences.">Nothing is held back: every firing and resolved alert is sent.</EmptyState> : null}
      {data && data.silences.length > 0 ? (
        <table className="grid" aria-label="Silences">
          <thead>
            <tr>
              <th>State</th>
              <th>Rule</th>
              <th>Group</th>
              <th>Until</th>
              <th>By</th>
              <th>Reason</th>
              {canAct ? <th>Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.silences.map((s) => (
              <tr key={s.id} data-silence={s.id}>
                <td>{s.active ? <span className="badge dead">active</span> : <span className="badge">ended</span>}</td>
                <td>{s.ruleName ?? <span className="muted">every rule</span>}</td>
                <td>{s.consumerGroup ?? <span className="muted">every group</span>}</td>
                <td className="small">
                  {fmtTime(s.endsAt)}
                  {s.endedBy ? <div className="muted">ended by {s.endedBy}</div> : null}
                </td>
                <td className="small">{s.createdBy}</td>
                <td className={styles.errorCell}>{s.reason}</td>
                {canAct ? (
                  <td className="actions">
                    {s.active ? (
                      <button type="button" onClick={() => end(s)} disabled={busy}>
                        End now
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {canAct ? <NewSilence rules={rules.data?.rules ?? []} onCreated={reload} /> : <p className="muted small">Operators and admins can silence alerts.</p>}
    </section>
  );
}
