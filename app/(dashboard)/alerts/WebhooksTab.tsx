"use client";
/**
 * Webhook endpoints. Admins create (the secret is shown once), edit, send a test and see the
 * receiver's answer, re-enable an endpoint the system disabled (e.g. after a 410), rotate or
 * reveal the secret, delete. Everyone else sees names, formats and health.
 */
import { useState } from "react";
import { useApiSend } from "@/app/components/api";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { useSession } from "@/app/components/SessionContext";
import { useAction } from "@/app/components/useAction";
import { usePolling } from "@/app/components/usePolling";
import { canManageAlerts } from "@/lib/permissions/roles";
import styles from "./alerts.module.css";
import { EndpointForm, type EndpointInput } from "./EndpointForm";
import { TestOutcome, type TestState } from "./TestOutcome";
import type { Endpoint, TestResult } from "./types";
import { Untrusted } from "@/app/components/Untrusted";

export function WebhooksTab({ onShowLog }: { onShowLog: (endpointId: number) => void }) {
  const { user } = useSession();
  const admin = canManageAlerts(user);
  const { data, reload } = usePolling<Json<{ endpoints: Endpoint[] }>>("/api/alerts/endpoints", 10_000);
  const { run, error, busy } = useAction();
  const request = useApiSend();
  const [editing, setEditing] = useState<number | null>(null);
  const [secret, setSecret] = useState<{ name: string; secret: string; why: string } | null>(null);
  const [tests, setTests] = useState<Record<number, TestState>>({});

  async function create(input: EndpointInput) {
    const res = await run((send) => send<{ endpoint: Endpoint & { secret: string } }>("/api/alerts/endpoints", "POST", input));
    if (!res) return false;
    setSecret({ name: res.endpoint.name, secret: res.endpoint.secret, why: "created" });
    reload();
    return true;
  }
  async function update(id: number, change: Partial<EndpointInput> & { enabled?: boolean }) {
    const ok = !!(await run((send) => send(`/api/alerts/endpoints/${id}`, "PATCH", change)));
    if (ok) {
      setEditing(null);
      reload();
    }
    return ok;
  }
  async function secretAction(e: Endpoint, action: "rotate-secret" | "reveal-secret") {
    if (action === "rotate-secret" && !window.confirm(`Rotate the secret of "${e.name}"? The old one stops verifying at once; update the receiver.`)) return;
    const res = await run((send) => send<{ secret: string }>(`/api/alerts/endpoints/${e.id}/${action}`, "POST"));
    if (res) setSecret({ name: e.name, secret: res.secret, why: action === "rotate-secret" ? "rotated" : "revealed" });
  }
  async function remove(e: Endpoint) {
    if (window.confirm(`Delete webhook "${e.name}"? Its queued notifications and delivery log are deleted too.`) && (await run((send) => send(`/api/alerts/endpoints/${e.id}`, "DELETE")))) reload();
  }
  /** Outside useAction: a test waits seconds for the receiver and must not block the other buttons. */
  async function sendTest(e: Endpoint) {
    setTests((t) => ({ ...t, [e.id]: { sending: true } }));
    let outcome: TestState;
    try {
      outcome = { sending: false, result: await request<TestResult>(`/api/alerts/endpoints/${e.id}/test`, "POST") };
    } catch (err) {
      outcome = { sending: false, error: err instanceof Error ? err.message : String(err) };
    }
    setTests((t) => ({ ...t, [e.id]: outcome }));
  }
  const editingEndpoint = data?.endpoints.find((e) => e.id === editing);

  return (
    <section aria-label="Webhook endpoints">
      <ErrorAlert error={error} />
      {secret ? (
        <div className="notice" role="status">
          Signing secret of <b>{secret.name}</b> ({secret.why}) — copy it into the receiver now, it is not shown again: <code className="secret" data-secret>{secret.secret}</code>{" "}
          <button type="button" className="link" style={{ color: "var(--accent)" }} onClick={() => setSecret(null)}>
            Hide
          </button>
        </div>
      ) : null}
      {data && data.endpoints.length === 0 ? (
        <EmptyState title="No webhook endpoints — alerts are evaluated, but nobody is notified.">
          {admin
            ? "Add one below: an Alertmanager-compatible receiver (PagerDuty, Opsgenie, Grafana OnCall, your own) or a Slack incoming webhook. Then press Send test."
            : "Ask an admin to add one."}
        </EmptyState>
      ) : null}
      {data && data.endpoints.length > 0 ? (
        <table className="grid">
          <thead>
            <tr>
              <th>Name</th>
              <th>URL</th>
              <th>Format</th>
              <th>Status</th>
              {admin ? <th>Secret</th> : null}
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {data.endpoints.map((e) => (
              <tr key={e.id} data-endpoint={e.name}>
                <td title={`created ${fmtTime(e.createdAt)}`}><Untrusted text={e.name} /></td>
                <td className={`mono ${styles.url}`}>{e.url}</td>
                <td>{e.format === "slack" ? "Slack text" : "Alertmanager"}</td>
                <td>
                  {e.enabled ? (
                    <span className="badge ok">enabled</span>
                  ) : (
                    <>
                      <span className="badge dead">disabled</span>
                      {e.disabledReason ? <div className="small bad">{e.disabledReason}</div> : null}
                      {admin ? (
                        <button type="button" onClick={() => update(e.id, { enabled: true })} disabled={busy} style={{ marginTop: 4 }}>
                          Re-enable
                        </button>
                      ) : null}
                    </>
                  )}
                </td>
                {admin ? (
                  <td className="actions">
                    <span className="mono small">{e.secretHint}</span>
                    <div style={{ marginTop: 4 }}>
                      <button type="button" onClick={() => secretAction(e, "reveal-secret")} disabled={busy}>
                        Reveal
                      </button>
                      <button type="button" onClick={() => secretAction(e, "rotate-secret")} disabled={busy}>
                        Rotate
                      </button>
                    </div>
                  </td>
                ) : null}
                <td className="actions">
                  {admin ? (
                    <button type="button" className="primary" onClick={() => sendTest(e)} disabled={!e.enabled || tests[e.id]?.sending} title={e.enabled ? undefined : "enable it first"}>
                      Send test
                    </button>
                  ) : null}
                  <button type="button" onClick={() => onShowLog(e.id)}>
                    Log
                  </button>
                  {admin ? (
                    <>
                      <button type="button" onClick={() => setEditing(e.id)}>
                        Edit
                      </button>
                      {e.enabled ? (
                        <button type="button" onClick={() => update(e.id, { enabled: false })} disabled={busy}>
                          Disable
                        </button>
                      ) : null}
                      <button type="button" onClick={() => remove(e)} disabled={busy}>
                        Delete
                      </button>
                    </>
                  ) : null}
                  <TestOutcome state={tests[e.id]} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {admin && editingEndpoint ? (
        <EndpointForm key={editingEndpoint.id} endpoint={editingEndpoint} busy={busy} onCancel={() => setEditing(null)} onSubmit={(v) => update(editingEndpoint.id, v)} />
      ) : null}
      {admin && !editingEndpoint ? <EndpointForm busy={busy} onSubmit={create} /> : null}
      <p className="muted small">
        Receivers verify the <code>webhook-signature</code> header (Standard Webhooks: HMAC-SHA256 over <code>id.timestamp.body</code>) and de-duplicate on{" "}
        <code>webhook-id</code>, which stays the same on every retry. Answer 410 to make us stop sending.
      </p>
    </section>
  );
}
