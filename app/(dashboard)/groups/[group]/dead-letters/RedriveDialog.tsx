"use client";
/** Preview and confirm a re-drive: what will happen to each message, a reason, the rate. */
import { useEffect, useState, type FormEvent } from "react";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { Untrusted } from "@/app/components/Untrusted";
import { fmtInt } from "@/app/components/format";
import { useAction } from "@/app/components/useAction";
import type { Preview } from "@/lib/dead-letters/redrive";

export type Selection = { msgIds?: string[]; reason?: string; label: string };

const EXPECTED_LABEL = { rerun: "runs again", duplicate: "acked as a duplicate (key already DONE)", waits: "waits for the open claim" } as const;

export function RedriveDialog({ group, selection, onClose, onStarted }: { group: string; selection: Selection; onClose: () => void; onStarted: (jobId: number) => void }) {
  const { run, error, busy } = useAction();
  const [preview, setPreview] = useState<Preview | null>(null);
  const [reason, setReason] = useState("");
  const [rate, setRate] = useState(50);
  const base = `/api/dead-letters/groups/${encodeURIComponent(group)}`;
  const sel = selection.msgIds ? { msgIds: selection.msgIds } : { reason: selection.reason };

  useEffect(() => {
    void run((send) => send<Preview>(`${base}/preview`, "POST", sel)).then((p) => p && setPreview(p));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per opened dialog
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const started = await run((send) => send<{ jobId: number }>(`${base}/redrive`, "POST", { selection: sel, reason, ratePerS: rate }));
    if (started) onStarted(started.jobId);
  };

  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="redrive-title">
        <h2 id="redrive-title">Re-drive {selection.label}</h2>
        {preview ? (
          <>
            <p data-testid="redrive-preview">
              {fmtInt(preview.counts.rerun)} will run again · {fmtInt(preview.counts.duplicate)} will be acked as duplicates (their key is already DONE) · {fmtInt(preview.counts.waits)} will wait for an open claim
              {preview.missing.length ? ` · ${preview.missing.length} are no longer in the DLQ` : ""}
            </p>
            <div className="preview-list">
              <table className="grid compact">
                <tbody>
                  {preview.items.slice(0, 200).map((i) => (
                    <tr key={i.msgId}>
                      <td><Untrusted text={i.key} /></td>
                      <td>
                        <code>{i.msgId}</code>
                      </td>
                      <td>→ {i.topic || "unknown topic"}</td>
                      <td>{EXPECTED_LABEL[i.expected]}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {preview.items.length > 200 ? <p className="muted">…and {preview.items.length - 200} more</p> : null}
            </div>
          </>
        ) : (
          <p className="muted">Working out what each message would do…</p>
        )}
        <form onSubmit={submit}>
          <label>
            Reason (kept in the audit log with every message)
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} required minLength={3} maxLength={1000} />
          </label>
          <label>
            Messages per second <input type="number" min={1} max={1000} value={rate} onChange={(e) => setRate(Number(e.target.value))} />
          </label>
          <ErrorAlert error={error} />
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="danger" disabled={busy || !preview || preview.items.length === 0 || reason.trim().length < 3}>
              Re-drive {preview ? fmtInt(preview.items.length) : ""} messages
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
