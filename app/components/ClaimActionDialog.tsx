"use client";
/**
 * Confirmation for Release / Mark done: shows exactly which claims change and how, requires a
 * reason, sends the fence each claim was shown with, and then shows each claim's result —
 * including why a claim was refused (it changed since it was shown).
 */
import { useState, type FormEvent } from "react";
import type { ActionOutcome, ClaimAction } from "@/lib/operator/claim-actions";
import type { StuckClaim } from "@/lib/queries/listStuckClaims";
import { ApiError, useApiSend } from "./api";
import { ErrorAlert } from "./ErrorAlert";
import { fmtDuration } from "./format";
import type { Json } from "./json";
import { Untrusted } from "@/app/components/Untrusted";

const TEXT: Record<ClaimAction, { title: (n: number) => string; effect: string; after: (c: Json<StuckClaim>) => string }> = {
  release: {
    title: (n) => `Release ${n} claim${n === 1 ? "" : "s"}`,
    effect:
      "Each claim row is deleted. The next delivery of its message claims the key again and runs the handler again. Use this when the effect did NOT happen (the worker died before finishing).",
    after: () => "deleted → message runs again",
  },
  mark_done: {
    title: (n) => `Mark ${n} claim${n === 1 ? "" : "s"} done`,
    effect:
      "Each claim is set DONE and its fence raised by one, so the old owner can no longer commit. Further deliveries of the key are acked as duplicates and the handler does not run. Use this when the effect DID happen.",
    after: (c) => `DONE, fence ${c.fence} → ${BigInt(c.fence) + 1n}`,
  },
};

const RESULT_TEXT: Record<string, string> = {
  ok: "done",
  refused_changed: "refused — changed",
  refused_done: "refused — already done",
  refused_not_found: "refused — gone",
  refused_lease_active: "refused — lease renewed",
};

export function ClaimActionDialog({ action, claims, onClose }: { action: ClaimAction; claims: Json<StuckClaim>[]; onClose: (changed: boolean) => void }) {
  const send = useApiSend();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<ActionOutcome[] | null>(null);
  const t = TEXT[action];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const path = action === "release" ? "/api/claims/release" : "/api/claims/mark-done";
    try {
      const res = await send<{ results: ActionOutcome[] }>(path, "POST", {
        claims: claims.map((c) => ({ id: c.id, fence: c.fence, shown: { consumerGroup: c.consumerGroup, topic: c.topic, tag: c.tag, keyHex: c.keyHex } })),
        reason,
      });
      setResults(res.results);
    } catch (err) {
      const details = err instanceof ApiError ? (err.details as { results?: ActionOutcome[] } | undefined) : undefined;
      if (details?.results) setResults(details.results);
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const byId = new Map(results?.map((r) => [r.id, r]));
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="claim-action-title">
        <h2 id="claim-action-title">{t.title(claims.length)}</h2>
        <p>{t.effect}</p>
        <table className="grid compact">
          <thead>
            <tr>
              <th>Group / topic</th>
              <th>Key</th>
              <th>Owner</th>
              <th className="num">Fence shown</th>
              <th>Stuck for</th>
              <th>{results ? "Result" : "After"}</th>
            </tr>
          </thead>
          <tbody>
            {claims.map((c) => {
              const r = byId.get(c.id);
              return (
                <tr key={c.id} data-claim={c.id}>
                  <td>
                    <Untrusted text={c.consumerGroup} />
                    <div className="muted small">
                      <Untrusted text={c.topic} />
                      {c.tag ? <> · <Untrusted text={c.tag} /></> : ""}
                    </div>
                  </td>
                  <td className="mono"><Untrusted text={c.key} /></td>
                  <td className="mono small">
                    <Untrusted text={c.owner} /> {c.ownerAlive ? "(alive)" : "(not alive)"}
                  </td>
                  <td className="num">{c.fence}</td>
                  <td>{fmtDuration(c.stuckForS)}</td>
                  <td>
                    {r ? (
                      <span className={r.result === "ok" ? "good" : "bad"} title={r.message}>
                        {RESULT_TEXT[r.result] ?? r.result}
                        {r.result !== "ok" ? <div className="small">{r.message}</div> : null}
                      </span>
                    ) : (
                      t.after(c)
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {results ? (
          <div className="modal-actions">
            <span role="status">
              {results.filter((r) => r.result === "ok").length} of {results.length} applied
              {results.some((r) => r.result !== "ok") ? "; refused claims changed since they were shown — look again before retrying." : "."}
            </span>
            <button type="button" className="primary" onClick={() => onClose(true)} autoFocus>
              Close
            </button>
          </div>
        ) : (
          <form onSubmit={submit}>
            <label>
              Reason (goes to the audit log)
              <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} required minLength={3} maxLength={1000} rows={2} placeholder="e.g. worker orders-7 OOM-killed at 14:02; effect not applied (checked billing)" autoFocus />
            </label>
            <p className="muted small">Refused for any claim that changed since it was shown: fence moved, lease renewed, already done or gone.</p>
            <ErrorAlert error={error} />
            <div className="modal-actions">
              <button type="button" onClick={() => onClose(false)} disabled={busy}>
                Cancel
              </button>
              <button type="submit" className="danger" disabled={busy || reason.trim().length < 3}>
                {busy ? "Working…" : t.title(claims.length)}
              </button>
            </div>
          </form>
        )}
      </div>
    </div>
  );
}
