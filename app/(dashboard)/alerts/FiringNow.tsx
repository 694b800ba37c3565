"use client";
/** Alerts firing now (one row per rule and group), and the ones that ended recently. */
import Link from "next/link";
import { EmptyState } from "@/app/components/EmptyState";
import { fmtAgo, fmtQuantity, fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { usePolling } from "@/app/components/usePolling";
import { KINDS } from "@/lib/alerts/kinds";
import { Severity } from "./Severity";
import type { AlertStateRow } from "./types";

const groupHref = (g: string) => `/groups/${encodeURIComponent(g)}`;

function RuleLink({ s, onRule }: { s: AlertStateRow; onRule: (id: number) => void }) {
  return (
    <a
      href={`/alerts?rule=${s.ruleId}`}
      onClick={(e) => {
        e.preventDefault();
        onRule(s.ruleId);
      }}
    >
      {s.ruleName}
    </a>
  );
}

export function FiringNow({ states, onRule }: { states: AlertStateRow[] | undefined; onRule: (ruleId: number) => void }) {
  const resolved = usePolling<Json<{ states: AlertStateRow[] }>>("/api/alerts/states?status=resolved&limit=20", 15_000);
  return (
    <>
      {states && states.length === 0 ? (
        <EmptyState title="Nothing is firing.">
          An alert fires when a rule&apos;s condition holds for a consumer group (see <b>Rules</b>). Firing and resolved notifications go to the endpoints under{" "}
          <b>Webhooks</b>; if nothing is listed there, nobody is paged.
        </EmptyState>
      ) : null}
      {states && states.length > 0 ? (
        <table className="grid" aria-label="Firing alerts">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Alert</th>
              <th>Consumer group</th>
              <th>Kind</th>
              <th className="num">Value</th>
              <th>Firing since</th>
              <th>Last notified</th>
            </tr>
          </thead>
          <tbody>
            {states.map((s) => (
              <tr key={s.id} data-alert={s.fingerprint}>
                <td>
                  <Severity value={s.severity} />
                </td>
                <td>
                  <RuleLink s={s} onRule={onRule} />
                </td>
                <td>
                  <Link href={groupHref(s.consumerGroup)} className="group-link">
                    {s.consumerGroup}
                  </Link>
                </td>
                <td>{KINDS[s.kind].title}</td>
                <td className="num">
                  {fmtQuantity(s.value, KINDS[s.kind].unit)}
                </td>
                <td title={fmtTime(s.startsAt)}>{fmtAgo(s.startsAt)}</td>
                <td className="small">{s.lastNotifiedAt ? fmtAgo(s.lastNotifiedAt) : "not yet (no enabled webhook?)"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>Recently resolved</h2>
      {resolved.data && resolved.data.states.length === 0 ? <p className="muted small">No alert has resolved yet.</p> : null}
      {resolved.data && resolved.data.states.length > 0 ? (
        <table className="grid compact" aria-label="Resolved alerts">
          <thead>
            <tr>
              <th>Alert</th>
              <th>Consumer group</th>
              <th>Started</th>
              <th>Ended</th>
            </tr>
          </thead>
          <tbody>
            {resolved.data.states.map((s) => (
              <tr key={s.id}>
                <td>
                  <RuleLink s={s} onRule={onRule} />
                </td>
                <td>
                  <Link href={groupHref(s.consumerGroup)}>{s.consumerGroup}</Link>
                </td>
                <td className="small">{fmtTime(s.startsAt)}</td>
                <td className="small">{fmtTime(s.endsAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
