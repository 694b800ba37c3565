"use client";
/** Every delivery attempt, newest first: which alerts of which group, firing or resolved; attempt, status code, latency, error, next retry. */
import { useState } from "react";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtAgo, fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { usePolling } from "@/app/components/usePolling";
import styles from "./alerts.module.css";
import type { Delivery, Endpoint } from "./types";
import { Untrusted } from "@/app/components/Untrusted";

type Page = Json<{ deliveries: Delivery[]; nextBefore: string | null }>;
const PAGE = 50;
/** The API's largest page; past it, filter by webhook (or page with `before` through the API). */
const MAX = 500;

const statusBadge: Record<string, string> = { delivered: "badge ok", failed: "badge dead", pending: "badge" };

export function DeliveryLog({ endpointId, onEndpoint }: { endpointId: number | null; onEndpoint: (id: number | null) => void }) {
  const endpoints = usePolling<Json<{ endpoints: Endpoint[] }>>("/api/alerts/endpoints", 60_000);
  // "Load older" widens the live window instead of appending pages: a fixed older page would
  // leave a gap once new attempts push the live page forward.
  const [limit, setLimit] = useState(PAGE);
  const p = new URLSearchParams({ limit: String(limit) });
  if (endpointId) p.set("endpointId", String(endpointId));
  const { data, error } = usePolling<Page>(`/api/alerts/deliveries?${p}`, 5000);
  const rows = data?.deliveries ?? [];

  return (
    <section aria-label="Delivery log">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the delivery log">
        <label>
          Webhook
          <select value={endpointId ?? ""} onChange={(e) => onEndpoint(e.target.value ? Number(e.target.value) : null)}>
            <option value="">all webhooks</option>
            {endpoints.data?.endpoints.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          One row per attempt. 5xx, 429 and network errors are retried with backoff (same webhook-id); other 4xx are final; 410 disables the webhook.
        </span>
      </form>
      <ErrorAlert error={error?.message} />
      {data && rows.length === 0 ? (
        <EmptyState title="No delivery attempts yet.">
          Attempts appear here when an alert fires or an admin presses <b>Send test</b> on the Webhooks tab. They are made by the alert process (<code>npm start</code>); a
          notification that stays queued means it is not running.
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <table className="grid compact" aria-label="Delivery attempts">
          <thead>
            <tr>
              <th>Time</th>
              <th>Webhook</th>
              <th>Notification</th>
              <th>Message (webhook-id)</th>
              <th className="num">Attempt</th>
              <th className="num">Status</th>
              <th className="num">Latency</th>
              <th>Error</th>
              <th>Message state</th>
              <th>Next retry</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-delivery={d.id} data-message={d.messageId}>
                <td className="small" title={fmtTime(d.ts)}>
                  {fmtAgo(d.ts)}
                </td>
                <td><Untrusted text={d.endpointName} /></td>
                <td className="small" data-notification={d.notificationStatus ?? ""}>
                  {d.notificationStatus ? <span className={d.notificationStatus === "firing" ? "badge dead" : "badge ok"}>{d.notificationStatus}</span> : null}{" "}
                  {d.consumerGroup ? <b><Untrusted text={d.consumerGroup} /></b> : null}
                  {d.alertsSummary ? <div className={styles.errorCell}>{d.alertsSummary}</div> : null}
                </td>
                <td className="mono small">{d.messageId}</td>
                <td className="num">{d.attempt}</td>
                <td className={`num ${d.statusCode !== null && d.statusCode < 300 ? "good" : "bad"}`}>{d.statusCode ?? "—"}</td>
                <td className="num">{d.latencyMs} ms</td>
                <td className={styles.errorCell}><Untrusted text={d.error} /></td>
                <td>
                  <span className={statusBadge[d.messageStatus] ?? "badge"}>{d.messageStatus}</span>
                </td>
                <td className="small">{d.nextAttemptAt ? fmtTime(d.nextAttemptAt) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data?.nextBefore ? (
        <div className="toolbar">
          {limit < MAX ? (
            <button type="button" onClick={() => setLimit((l) => Math.min(MAX, l + PAGE))}>
              Load older attempts
            </button>
          ) : (
            <span className="muted">Showing the newest {MAX} attempts; choose a webhook above to narrow the log.</span>
          )}
        </div>
      ) : null}
    </section>
  );
}
