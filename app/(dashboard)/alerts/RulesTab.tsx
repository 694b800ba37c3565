"use client";
/** The alert rules: what each watches, where it fires now; admins create, edit, toggle, delete. */
import { useEffect, useRef, useState } from "react";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtAgo } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { useSession } from "@/app/components/SessionContext";
import { useAction } from "@/app/components/useAction";
import { usePolling } from "@/app/components/usePolling";
import { KINDS } from "@/lib/alerts/kinds";
import { canManageAlerts } from "@/lib/permissions/roles";
import styles from "./alerts.module.css";
import { RuleForm, type RuleInput } from "./RuleForm";
import { Severity } from "./Severity";
import type { Rule } from "./types";
import { Untrusted } from "@/app/components/Untrusted";

export function RulesTab({ highlight, onHistory }: { highlight: number | null; onHistory: (ruleId: number) => void }) {
  const { user } = useSession();
  const admin = canManageAlerts(user);
  const { data, reload } = usePolling<Json<{ rules: Rule[] }>>("/api/alerts/rules", 10_000);
  const { run, error, busy } = useAction();
  const [editing, setEditing] = useState<number | null>(null);
  const highlighted = useRef<HTMLTableRowElement>(null);

  // Scroll a linked rule (from a notification's generatorURL) into view once it is rendered.
  const loaded = !!data;
  useEffect(() => {
    if (loaded) highlighted.current?.scrollIntoView({ block: "center" });
  }, [loaded, highlight]);

  const create = async (input: RuleInput) => {
    const ok = !!(await run((send) => send("/api/alerts/rules", "POST", input)));
    if (ok) reload();
    return ok;
  };
  const update = async (id: number, change: Partial<RuleInput>) => {
    const ok = !!(await run((send) => send(`/api/alerts/rules/${id}`, "PATCH", change)));
    if (ok) {
      setEditing(null);
      reload();
    }
    return ok;
  };
  const remove = async (r: Rule) => {
    const msg = `Delete rule "${r.name}"? Its alerts end without a "resolved" notification (disable it instead if receivers should hear that).`;
    if (window.confirm(msg) && (await run((send) => send(`/api/alerts/rules/${r.id}`, "DELETE")))) reload();
  };
  const editingRule = data?.rules.find((r) => r.id === editing);

  return (
    <section aria-label="Alert rules">
      <ErrorAlert error={error} />
      {highlight && data && !data.rules.some((r) => r.id === highlight) ? <p className="notice">Rule {highlight} does not exist any more.</p> : null}
      {data && data.rules.length === 0 ? (
        <EmptyState title="No alert rules.">
          The alert process creates a default set (duplicate rate, stuck claims, replays, no live worker, live workers below the recent peak, DLQ growth, payload
          mismatch) the first time it starts
          {admin ? "; you can also create rules below." : ". Ask an admin to add rules."}
        </EmptyState>
      ) : null}
      {data && data.rules.length > 0 ? (
        <table className="grid">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Group</th>
              <th>Fires when</th>
              <th>Resolves</th>
              <th>Severity</th>
              <th>Status</th>
              {admin ? <th>Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.rules.map((r) => (
              <tr key={r.id} data-rule={r.id} ref={r.id === highlight ? highlighted : undefined} className={r.id === highlight ? styles.highlight : undefined} aria-current={r.id === highlight ? "true" : undefined}>
                <td><Untrusted text={r.name} /></td>
                <td title={KINDS[r.kind].thresholdHelp}>{KINDS[r.kind].title}</td>
                <td>{r.consumerGroup ?? <span className="muted">every group</span>}</td>
                <td>{r.condition}</td>
                <td className="small">{r.resolves}</td>
                <td>
                  <Severity value={r.severity} />
                </td>
                <td>
                  {!r.enabled ? (
                    <span className="badge">disabled</span>
                  ) : r.firing.length > 0 ? (
                    <span className="badge dead" title={r.firing.map((f) => `${f.consumerGroup} since ${fmtAgo(f.since)}`).join("\n")}>
                      firing: {r.firing.map((f) => f.consumerGroup).join(", ")}
                    </span>
                  ) : r.pending.length > 0 ? (
                    <span className="badge" title={r.pending.map((f) => `${f.consumerGroup} holding since ${fmtAgo(f.since)}`).join("\n")}>
                      pending: {r.pending.map((f) => f.consumerGroup).join(", ")}
                    </span>
                  ) : (
                    <span className="badge ok">ok</span>
                  )}
                  <div>
                    <a
                      href={`/alerts?tab=history&rule=${r.id}`}
                      className="small"
                      onClick={(e) => {
                        e.preventDefault();
                        onHistory(r.id);
                      }}
                    >
                      history
                    </a>
                  </div>
                </td>
                {admin ? (
                  <td className="actions">
                    <button type="button" onClick={() => setEditing(r.id)}>
                      Edit
                    </button>
                    <button type="button" onClick={() => update(r.id, { enabled: !r.enabled })} disabled={busy}>
                      {r.enabled ? "Disable" : "Enable"}
                    </button>
                    <button type="button" onClick={() => remove(r)} disabled={busy}>
                      Delete
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {admin && editingRule ? (
        <RuleForm
          key={editingRule.id}
          rule={editingRule}
          busy={busy}
          onCancel={() => setEditing(null)}
          onSubmit={({ kind: _kind, ...change }) => update(editingRule.id, change)}
        />
      ) : null}
      {admin && !editingRule ? <RuleForm busy={busy} onSubmit={create} /> : null}
    </section>
  );
}
