"use client";
/**
 * The dead letters of one consumer group: what its DLQ holds, grouped by failure reason, with
 * each message's key, attempts, failures and its key's claim; filters and CSV export; and the
 * re-drive — select messages or a reason group, read the preview (re-run, or acked as a
 * duplicate because the key is DONE), give a reason, confirm, and follow the job's progress
 * with pause / resume / abort.
 */
import Link from "next/link";
import { useMemo, useState } from "react";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtInt, fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { LiveStatus } from "@/app/components/LiveStatus";
import { useSession } from "@/app/components/SessionContext";
import { usePolling } from "@/app/components/usePolling";
import { Untrusted } from "@/app/components/Untrusted";
import type { DeadLetterList } from "@/lib/dead-letters/list";
import { hasRole } from "@/lib/permissions/roles";
import { RedriveDialog, type Selection } from "./RedriveDialog";
import { RedriveProgress } from "./RedriveProgress";

const CLAIM_LABEL: Record<string, string> = { never_run: "never run", released: "released", held: "held (open claim)", done: "DONE" };

export function DeadLetters({ group }: { group: string }) {
  const session = useSession();
  const canRedrive = hasRole(session.user, "operator");
  const [reason, setReason] = useState("");
  const [key, setKey] = useState("");
  const [since, setSince] = useState("");
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<Selection | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);

  const query = new URLSearchParams();
  if (reason) query.set("reason", reason);
  if (key) query.set("key", key);
  if (since) query.set("since", new Date(since).toISOString());
  const base = `/api/dead-letters/groups/${encodeURIComponent(group)}`;
  const { data, error, loading, updatedAt, reload } = usePolling<Json<DeadLetterList>>(`${base}?${query}`, 5000);
  const csvQuery = new URLSearchParams(query);
  csvQuery.set("format", "csv");

  const shown = useMemo(() => new Set(data?.items.map((d) => d.msgId) ?? []), [data]);
  const selected = [...picked].filter((id) => shown.has(id));
  const toggle = (id: string) => setPicked((p) => (p.has(id) ? new Set([...p].filter((x) => x !== id)) : new Set([...p, id])));

  return (
    <>
      <div className="page-head">
        <h1>
          <Link href="/" className="muted">
            Groups
          </Link>{" "}
          /{" "}
          <Link href={`/groups/${encodeURIComponent(group)}`} className="muted">
            <Untrusted text={group} />
          </Link>{" "}
          / Dead letters
        </h1>
        <LiveStatus updatedAt={updatedAt} error={error} loading={loading} />
      </div>
      {data?.brokerError ? <ErrorAlert error={data.brokerError} /> : null}
      {error && !data ? <ErrorAlert error={error.message} /> : null}
      {jobId !== null ? (
        <RedriveProgress
          jobId={jobId}
          canControl={canRedrive}
          onFinished={() => {
            setPicked(new Set());
            reload();
          }}
        />
      ) : null}

      {data ? (
        <>
          <p className="muted">
            {fmtInt(data.total)} messages in <code>%DLQ%{group}</code>, read through the group&apos;s dead-letter topic and joined with the failures the workers recorded.
          </p>
          <section aria-labelledby="reasons-title">
            <h2 id="reasons-title">By failure reason</h2>
            {data.reasons.length === 0 ? <p className="muted">The dead-letter queue is empty.</p> : null}
            <ul className="reason-groups">
              {data.reasons.map((r) => (
                <li key={r.reason.id} data-testid="reason-group">
                  <button type="button" className={`link ${reason === r.reason.id ? "active" : ""}`} onClick={() => setReason(reason === r.reason.id ? "" : r.reason.id)}>
                    <strong><Untrusted text={r.reason.errorClass} /></strong> <Untrusted text={r.reason.pattern} />
                  </button>{" "}
                  <span className="count">{fmtInt(r.count)}</span>{" "}
                  {canRedrive ? (
                    <button type="button" onClick={() => setDialog({ reason: r.reason.id, label: `${r.count} dead letters of “${r.reason.id}”` })}>
                      Re-drive this group
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>

          <section aria-labelledby="list-title">
            <h2 id="list-title">Messages</h2>
            <div className="filters">
              <label>
                Reason{" "}
                <select aria-label="Filter by reason" value={reason} onChange={(e) => setReason(e.target.value)}>
                  <option value="">any</option>
                  {data.reasons.map((r) => (
                    <option key={r.reason.id} value={r.reason.id}>
                      {r.reason.id}
                    </option>
                  ))}
                </select>
              </label>{" "}
              <label>
                Key contains <input value={key} onChange={(e) => setKey(e.target.value)} maxLength={512} />
              </label>{" "}
              <label>
                Last failure since <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
              </label>{" "}
              <a href={`${base}?${csvQuery}`} download>
                Export CSV
              </a>
              {canRedrive ? (
                <button type="button" disabled={selected.length === 0} onClick={() => setDialog({ msgIds: selected, label: `${selected.length} selected dead letters` })}>
                  Re-drive selected ({selected.length})
                </button>
              ) : null}
            </div>
            <table className="grid compact">
              <thead>
                <tr>
                  {canRedrive ? (
                    <th>
                      <input
                        type="checkbox"
                        aria-label="Select all shown"
                        checked={data.items.length > 0 && selected.length === data.items.length}
                        onChange={(e) => setPicked(e.target.checked ? new Set(data.items.map((d) => d.msgId)) : new Set())}
                      />
                    </th>
                  ) : null}
                  <th>Key</th>
                  <th>Tag</th>
                  <th>msgId</th>
                  <th>Attempts</th>
                  <th>First failure</th>
                  <th>Last failure</th>
                  <th>Reason</th>
                  <th>Claim</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d) => (
                  <tr key={d.msgId} data-testid="dead-letter">
                    {canRedrive ? (
                      <td>
                        <input type="checkbox" aria-label={`Select ${d.key}`} checked={picked.has(d.msgId)} onChange={() => toggle(d.msgId)} />
                      </td>
                    ) : null}
                    <td>
                      <Link href={`/keys?q=${encodeURIComponent(d.key)}`}><Untrusted text={d.key} /></Link>
                    </td>
                    <td>{d.tag ? <Untrusted text={d.tag} /> : "—"}</td>
                    <td>
                      <code>{d.msgId}</code>
                    </td>
                    <td>{d.attempts || "—"}</td>
                    <td>{d.firstFailureAt ? fmtTime(d.firstFailureAt) : "—"}</td>
                    <td>{d.lastFailureAt ? fmtTime(d.lastFailureAt) : "—"}</td>
                    <td title={d.message ?? undefined}>
                      {d.errorClass ? <strong><Untrusted text={d.errorClass} /></strong> : null} {d.message ? <Untrusted text={d.message} /> : "no reason recorded"}
                    </td>
                    <td>{CLAIM_LABEL[d.claim]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      ) : null}
      {dialog ? (
        <RedriveDialog
          group={group}
          selection={dialog}
          onClose={() => setDialog(null)}
          onStarted={(id) => {
            setDialog(null);
            setJobId(id);
          }}
        />
      ) : null}
    </>
  );
}
