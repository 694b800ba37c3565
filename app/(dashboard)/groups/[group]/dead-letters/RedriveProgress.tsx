"use client";
/** A running re-drive: progress, each message's result from the broker, pause / resume / abort. */
import { useEffect, useRef, useState } from "react";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { Untrusted } from "@/app/components/Untrusted";
import { fmtInt } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { useAction } from "@/app/components/useAction";
import { usePolling } from "@/app/components/usePolling";
import type { JobControl, Progress } from "@/lib/dead-letters/redrive";

export function RedriveProgress({ jobId, canControl, onFinished }: { jobId: number; canControl: boolean; onFinished: () => void }) {
  const { data } = usePolling<Json<Progress>>(`/api/dead-letters/jobs/${jobId}`, 500);
  const { run, error, busy } = useAction();
  const [reason, setReason] = useState("");
  const finished = data && (data.state === "done" || data.state === "aborted") && data.counts.pending === 0;
  const told = useRef(false);
  useEffect(() => {
    if (finished && !told.current) {
      told.current = true;
      onFinished();
    }
  }, [finished, onFinished]);
  if (!data) return null;
  const handled = data.counts.sent + data.counts.failed + data.counts.skipped;
  const control = (action: JobControl) => run((send) => send(`/api/dead-letters/jobs/${jobId}`, "POST", { action, reason }));

  return (
    <section className="card" aria-labelledby="redrive-progress-title">
      <h2 id="redrive-progress-title">
        Re-drive #{jobId}: <span data-testid="redrive-state">{data.state}</span>
      </h2>
      <progress max={data.total} value={handled} aria-label="Re-drive progress" />
      <p data-testid="redrive-counts">
        {fmtInt(data.counts.sent)} sent · {fmtInt(data.counts.failed)} failed · {fmtInt(data.counts.pending)} pending · {fmtInt(data.counts.skipped)} not sent (aborted) of {fmtInt(data.total)}, at {data.ratePerS}/s
      </p>
      {canControl && !finished ? (
        <div className="actions">
          <label>
            Reason for pause or abort <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} />
          </label>
          {data.state === "paused" ? (
            <button type="button" disabled={busy || reason.trim().length < 3} onClick={() => control("resume")}>
              Resume
            </button>
          ) : (
            <button type="button" disabled={busy || reason.trim().length < 3} onClick={() => control("pause")}>
              Pause
            </button>
          )}
          <button type="button" className="danger" disabled={busy || reason.trim().length < 3} onClick={() => control("abort")}>
            Abort
          </button>
        </div>
      ) : null}
      <ErrorAlert error={error} />
      {data.counts.failed > 0 ? (
        <ul className="failures">
          {data.items
            .filter((i) => i.status === "failed")
            .slice(0, 50)
            .map((i) => (
              <li key={i.msgId}>
                <code>{i.msgId}</code>: <Untrusted text={i.detail} />
              </li>
            ))}
        </ul>
      ) : null}
    </section>
  );
}
