import type { GroupWorker } from "@/lib/queries/listGroupWorkers";
import { fmtAgo, fmtDuration } from "./format";
import type { Json } from "./json";
import { Untrusted } from "@/app/components/Untrusted";

export function WorkersTable({ workers, now }: { workers: Json<GroupWorker>[]; now?: number }) {
  return (
    <table className="grid compact">
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
        {workers.map((w) => (
          <tr key={w.id} data-worker={w.id}>
            <td className="mono small"><Untrusted text={w.id} /></td>
            <td>
              <span className={`badge ${w.alive ? "ok" : "dead"}`}>{w.alive ? "alive" : w.state === "live" ? "silent" : w.state}</span>
            </td>
            <td className={w.alive ? "" : "bad"}>{fmtDuration(w.heartbeatAgeS)} ago</td>
            <td className="small">{w.queues.length > 0 ? w.queues.join(", ") : <span className="muted">pop mode (no fixed queues)</span>}</td>
            <td className="num">{w.inflight}</td>
            <td className="small">
              <Untrusted text={w.host} /> · {w.pid}
            </td>
            <td className="small">{w.mode}</td>
            <td className="small">{fmtAgo(w.startedAt, now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
