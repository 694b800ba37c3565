"use client";
/**
 * One rule's alert history: per group how often it fired, resolved and flapped (fired again soon
 * after resolving), then every fire, resolve and acknowledgement, newest first.
 */
import Link from "next/link";
import { EmptyState } from "@/app/components/EmptyState";
import { fmtDuration, fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { usePolling } from "@/app/components/usePolling";
import type { History, Rule } from "./types";

const HOURS = [1, 24, 24 * 7];

export function HistoryTab({ ruleId, hours, onChange }: { ruleId: number | null; hours: number; onChange: (ruleId: number | null, hours: number) => void }) {
  const rules = usePolling<Json<{ rules: Rule[] }>>("/api/alerts/rules", 60_000);
  const chosen = ruleId ?? rules.data?.rules[0]?.id ?? null;
  const { data } = usePolling<Json<{ history: History }>>(chosen ? `/api/alerts/rules/${chosen}/history?hours=${hours}` : null, 15_000);
  const h = data?.history;
  return (
    <section aria-label="Alert history">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Choose a rule">
        <label>
          Rule
          <select value={chosen ?? ""} onChange={(e) => onChange(Number(e.target.value) || null, hours)}>
            {rules.data?.rules.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Over
          <select value={hours} onChange={(e) => onChange(chosen, Number(e.target.value))}>
            {HOURS.map((n) => (
              <option key={n} value={n}>
                the last {fmtDuration(n * 3600)}
              </option>
            ))}
          </select>
        </label>
      </form>
      {h && h.groups.length === 0 ? <EmptyState title="This rule has not fired in this period.">Every fire, resolve and acknowledgement is listed here.</EmptyState> : null}
      {h && h.groups.length > 0 ? (
        <>
          <table className="grid compact" aria-label="Fires and flaps per group">
            <thead>
              <tr>
                <th>Consumer group</th>
                <th className="num">Fired</th>
                <th className="num">Resolved</th>
                <th className="num" title={`a fire less than ${fmtDuration(h.flapWindowS)} after the same alert resolved`}>
                  Flaps
                </th>
              </tr>
            </thead>
            <tbody>
              {h.groups.map((g) => (
                <tr key={g.consumerGroup} data-group={g.consumerGroup}>
                  <td>
                    <Link href={`/groups/${encodeURIComponent(g.consumerGroup)}`}>{g.consumerGroup}</Link>
                  </td>
                  <td className="num">{g.fired}</td>
                  <td className="num">{g.resolved}</td>
                  <td className={`num ${g.flaps > 0 ? "bad" : ""}`}>{g.flaps}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">A flap is a fire less than {fmtDuration(h.flapWindowS)} after the same alert resolved.</p>
          <table className="grid compact" aria-label="Alert events">
            <thead>
              <tr>
                <th>Time</th>
                <th>Group</th>
                <th>Event</th>
                <th className="num">Value</th>
                <th>Notes</th>
              </tr>
            </thead>
            <tbody>
              {h.events.map((e) => (
                <tr key={e.id} data-event={e.event}>
                  <td className="small">{fmtTime(e.ts)}</td>
                  <td>{e.consumerGroup}</td>
                  <td>
                    <span className={e.event === "fired" ? "badge dead" : e.event === "resolved" ? "badge ok" : "badge"}>{e.event}</span>
                  </td>
                  <td className="num">{e.valueText ?? ""}</td>
                  <td className="small">
                    {e.silenceId ? `not sent: silence ${e.silenceId}` : ""}
                    {e.actor ? `by ${e.actor}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
