"use client";
/** Every operator action, newest first; append-only (the database refuses edits). */
import Link from "next/link";
import { useEffect, useState } from "react";
import { apiGet, ApiError } from "@/app/components/api";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtTime, keyHref } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { UnverifiedBadge } from "@/app/components/UnverifiedBadge";
import type { AuditEntry } from "@/lib/queries/listAuditLog";
import { ACTION_GROUPS } from "./actions";
import { Untrusted } from "@/app/components/Untrusted";

type Page = Json<{ entries: AuditEntry[]; nextBefore: string | null }>;
const RESULTS = ["", "ok", "refused", "refused_changed", "refused_done", "refused_not_found", "refused_lease_active"];

export function AuditLog() {
  const [filter, setFilter] = useState({ actor: "", action: "", group: "", result: "" });
  const [entries, setEntries] = useState<Page["entries"] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const query = (before?: string) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v.trim()) p.set(k, v.trim());
    if (before) p.set("before", before);
    return `/api/audit?${p}`;
  };

  const url = query();
  useEffect(() => {
    let current = true;
    apiGet<Page>(url)
      .then((page) => {
        if (!current) return;
        setEntries(page.entries);
        setNext(page.nextBefore);
        setError(null);
      })
      .catch((err: unknown) => current && setError(err instanceof ApiError ? err.message : String(err)));
    return () => {
      current = false;
    };
  }, [url]);

  async function loadOlder() {
    if (!next) return;
    const page = await apiGet<Page>(query(next));
    setEntries((e) => [...(e ?? []), ...page.entries]);
    setNext(page.nextBefore);
  }

  const set = (k: keyof typeof filter) => (e: { target: { value: string } }) => setFilter((f) => ({ ...f, [k]: e.target.value }));
  return (
    <>
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the audit log">
        <label>
          Actor starts with
          <input value={filter.actor} onChange={set("actor")} placeholder="user:ana@… / cli: / token:" />
        </label>
        <label>
          Action
          <select value={filter.action} onChange={set("action")}>
            <option value="">any</option>
            {ACTION_GROUPS.map((g) => (
              <optgroup key={g.label} label={g.label}>
                {g.actions.map((a) => (
                  <option key={a} value={a}>
                    {a.replace(/_/g, " ")}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label>
          Group
          <input value={filter.group} onChange={set("group")} placeholder="any group" />
        </label>
        <label>
          Result
          <select value={filter.result} onChange={set("result")}>
            {RESULTS.map((r) => (
              <option key={r} value={r}>
                {r === "refused" ? "any refusal" : r || "any"}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorAlert error={error} />
      {entries && entries.length === 0 ? <EmptyState title="No operator action matches.">Releases, mark-done and user changes are recorded here, refusals included.</EmptyState> : null}
      {entries && entries.length > 0 ? (
        <table className="grid audit">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th className="num">Fence seen</th>
              <th>Reason</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((a) => (
              <tr key={a.id} data-action={a.action}>
                <td className="small">{fmtTime(a.ts)}</td>
                <td className="small"><Untrusted text={a.actor} /></td>
                <td>{a.action.replace(/_/g, " ")}</td>
                <td className="small">
                  {a.consumerGroup ? (
                    <>
                      <Untrusted text={a.consumerGroup} /> · <Untrusted text={a.topic} />
                      {a.key ? (
                        <>
                          {" · "}
                          <Link className="mono" href={keyHref(a.key, a.consumerGroup)}>
                            <Untrusted text={a.key.key} />
                          </Link>
                        </>
                      ) : null}
                      {a.identityUnverified ? <UnverifiedBadge /> : null}
                    </>
                  ) : (
                    <span className="muted">{a.detail ? <Untrusted text={a.detail} /> : "—"}</span>
                  )}
                </td>
                <td className="num">{a.fenceSeen ?? "—"}</td>
                <td>{a.reason ? <Untrusted text={a.reason} /> : <span className="muted">—</span>}</td>
                <td className={a.result === "ok" ? "good" : "bad"} title={a.detail ?? undefined}>
                  {a.result}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {next ? (
        <button type="button" onClick={loadOlder}>
          Load older
        </button>
      ) : null}
    </>
  );
}
