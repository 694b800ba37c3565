import Link from "next/link";
import { CAUSE_LABELS, type Cause } from "@/lib/queries/causes";
import type { EventView } from "@/lib/queries/listRecentEvents";
import { CAUSE_COLORS } from "./causeColors";
import { fmtTime, keyHref } from "./format";
import type { Json } from "./json";
import { Untrusted } from "@/app/components/Untrusted";

export function CauseTag({ cause }: { cause: string | null }) {
  if (!cause) return <span className="muted">—</span>;
  return (
    <span className="cause">
      <span className="dot" style={{ background: CAUSE_COLORS[cause as Cause] ?? "#999" }} aria-hidden />
      {CAUSE_LABELS[cause as Cause] ?? cause}
    </span>
  );
}

export function EventsTable({ events }: { events: Json<EventView>[] }) {
  return (
    <table className="grid compact">
      <thead>
        <tr>
          <th>Time</th>
          <th>Event</th>
          <th>Cause</th>
          <th>Outcome</th>
          <th>Key</th>
          <th>msgId</th>
          <th>Worker</th>
          <th className="num">Delivery</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.id}>
            <td className="small">{fmtTime(e.ts)}</td>
            <td>
              {e.kind.replace(/_/g, " ")}
              {/* What the runtime wrote down with it: a failed handler's error, a takeover's previous owner. */}
              {e.detail ? <div className="muted small event-detail">{e.detail}</div> : null}
            </td>
            <td>
              <CauseTag cause={e.cause} />
            </td>
            <td className="small">{e.outcome ?? "—"}</td>
            <td className="mono">
              <Link href={keyHref(e, e.consumerGroup)}><Untrusted text={e.key} /></Link>
            </td>
            <td className="mono small">{e.msgId}</td>
            <td className="mono small">{e.worker ?? "—"}</td>
            <td className="num">{e.deliveryAttempt ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
