"use client";
/**
 * A group's workers: the ones alive (or silent, still registered live) always shown; the
 * instances that left or died — a restarted worker leaves one behind each time — collapsed into
 * one line with their count, shown on demand. The newest death is named in that line, so a worker
 * killed from outside is seen without expanding anything.
 */
import { useState } from "react";
import type { GroupWorker } from "@/lib/queries/listGroupWorkers";
import { fmtAgo, fmtDuration, fmtInt } from "./format";
import { Untrusted } from "./Untrusted";
import type { Json } from "./json";

export function WorkersTable({ workers, now }: { workers: Json<GroupWorker>[]; now?: number }) {
  const [showGone, setShowGone] = useState(false);
  const current = workers.filter((w) => w.state === "live");
  const gone = workers.filter((w) => w.state !== "live");
  const newest = gone.reduce<Json<GroupWorker> | undefined>((a, w) => (!a || (w.stoppedAt ?? w.heartbeatAt) > (a.stoppedAt ?? a.heartbeatAt) ? w : a), undefined);
  return (
    <>
      <table className="grid compact cards workers">
        <thead>
          <tr>
            <th>Worker</th>
            <th>State</th>
            <th>Heartbeat</th>
            <th>Queues</th>
            <th className="num">In flight</th>
            <th>Host · pid</th>
            <th>Mode</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {current.map((w) => (
            <WorkerRow key={w.id} w={w} now={now} />
          ))}
          {gone.length > 0 ? (
            <tr className="collapsed-row">
              <td colSpan={8}>
                <button type="button" className="link" aria-expanded={showGone} onClick={() => setShowGone((s) => !s)}>
                  {showGone ? "Hide" : "Show"} {fmtInt(gone.length)} stopped instance{gone.length === 1 ? "" : "s"}
                </button>
                {newest ? (
                  <span className="muted small">
                    {" "}
                    — newest: <Untrusted text={newest.id} /> {newest.state === "dead" ? "died (heartbeat timeout)" : "left"} {fmtAgo(newest.stoppedAt ?? newest.heartbeatAt, now)}
                  </span>
                ) : null}
              </td>
            </tr>
          ) : null}
          {showGone ? gone.map((w) => <WorkerRow key={w.id} w={w} now={now} />) : null}
        </tbody>
      </table>
    </>
  );
}

function WorkerRow({ w, now }: { w: Json<GroupWorker>; now?: number }) {
  return (
    <tr data-worker={w.id}>
      <td className="mono small card-title" data-label="Worker">
        <Untrusted text={w.id} />
      </td>
      <td data-label="State">
        <span className={`badge ${w.alive ? "ok" : "dead"}`}>{w.alive ? "alive" : w.state === "live" ? "silent" : w.state}</span>
      </td>
      <td className={w.alive ? "" : "bad"} data-label="Heartbeat">
        {fmtDuration(w.heartbeatAgeS)} ago
      </td>
      <td className="small" data-label="Queues">
        {w.queues.length > 0 ? w.queues.join(", ") : <span className="muted">pop mode (no fixed queues)</span>}
      </td>
      <td className="num" data-label="In flight">
        {w.inflight}
      </td>
      <td className="small" data-label="Host · pid">
        <Untrusted text={w.host} /> · {w.pid}
      </td>
      <td className="small" data-label="Mode">
        {w.mode}
      </td>
      <td className="small" data-label="Started">
        {fmtAgo(w.startedAt, now)}
      </td>
    </tr>
  );
}
