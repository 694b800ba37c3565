"use client";
/**
 * Alerts firing now (one row per rule and group) with their value against the threshold, who
 * acknowledged them and whether a silence holds them; the ones waiting out their pending period;
 * and the ones that ended recently. Operators acknowledge or silence an alert from its row.
 */
import Link from "next/link";
import { EmptyState } from "@/app/components/EmptyState";
import { ErrorAlert } from "@/app/components/ErrorAlert";
import { fmtAgo, fmtTime } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { useSession } from "@/app/components/SessionContext";
import { useAction } from "@/app/components/useAction";
import { usePolling } from "@/app/components/usePolling";
import { describeCondition, KINDS } from "@/lib/alerts/kinds";
import { canSilenceAlerts } from "@/lib/permissions/roles";
import { Severity } from "./Severity";
import type { AlertStateRow, Silence } from "./types";

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

/** The alert's rule and its group, the first two cells of every list here. */
function AlertCells({ s, onRule }: { s: AlertStateRow; onRule: (id: number) => void }) {
  return (
    <>
      <td>
        <RuleLink s={s} onRule={onRule} />
      </td>
      <td>
        <Link href={groupHref(s.consumerGroup)}>{s.consumerGroup}</Link>
      </td>
    </>
  );
}

/** "5.04 % (> 5 %)": the value at the precision its comparison needs, beside the condition. */
function ValueCell({ s }: { s: AlertStateRow }) {
  return (
    <td className="num" data-label="Value" title={`threshold: ${describeCondition(s.kind, s.threshold)}`}>
      {s.valueText} {KINDS[s.kind].unit} <span className="muted small">({describeCondition(s.kind, s.threshold)})</span>
    </td>
  );
}

function activeSilenceFor(s: AlertStateRow, silences: Silence[] | undefined): Silence | undefined {
  return silences?.find((x) => x.active && (x.ruleId === null || x.ruleId === s.ruleId) && (x.consumerGroup === null || x.consumerGroup === s.consumerGroup));
}

export function FiringNow({ states, onRule, onReload }: { states: AlertStateRow[] | undefined; onRule: (ruleId: number) => void; onReload: () => void }) {
  const { user } = useSession();
  const canAct = canSilenceAlerts(user);
  const pending = usePolling<Json<{ states: AlertStateRow[] }>>("/api/alerts/states?status=pending", 5000);
  const resolved = usePolling<Json<{ states: AlertStateRow[] }>>("/api/alerts/states?status=resolved&limit=20", 15_000);
  const silences = usePolling<Json<{ silences: Silence[] }>>("/api/alerts/silences", 15_000);
  const { run, error, busy } = useAction();

  const acknowledge = async (s: AlertStateRow) => {
    const note = window.prompt(`Acknowledge "${s.ruleName}" in ${s.consumerGroup}? Its repeats stop until it resolves. Note (optional):`, "");
    if (note === null) return;
    if (await run((send) => send("/api/alerts/ack", "POST", { ruleId: s.ruleId, consumerGroup: s.consumerGroup, note }))) onReload();
  };
  const silence = async (s: AlertStateRow) => {
    const reason = window.prompt(`Silence "${s.ruleName}" in ${s.consumerGroup} for 1 hour? Its notifications are held back. Reason (required):`, "");
    if (!reason) return;
    if (await run((send) => send("/api/alerts/silences", "POST", { ruleId: s.ruleId, consumerGroup: s.consumerGroup, durationS: 3600, reason }))) silences.reload();
  };

  return (
    <>
      <ErrorAlert error={error} />
      {states && states.length === 0 ? (
        <EmptyState title="Nothing is firing.">
          An alert fires when a rule&apos;s condition holds for a consumer group for its pending period (see <b>Rules</b>). Firing and resolved notifications go to the
          endpoints under <b>Webhooks</b>; if nothing is listed there, nobody is paged.
        </EmptyState>
      ) : null}
      {states && states.length > 0 ? (
        <table className="grid cards" aria-label="Firing alerts">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Alert</th>
              <th>Consumer group</th>
              <th className="num">Value</th>
              <th>Firing since</th>
              <th>Notified</th>
              {canAct ? <th>Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {states.map((s) => {
              const held = activeSilenceFor(s, silences.data?.silences);
              return (
                <tr key={s.id} data-alert={s.fingerprint}>
                  <td data-label="Severity">
                    <Severity value={s.severity} />
                  </td>
                  <td className="card-title" data-label="Alert">
                    <RuleLink s={s} onRule={onRule} />
                    {s.clearSince ? <div className="muted small">clear since {fmtAgo(s.clearSince)}; resolves after the keep-firing period</div> : null}
                  </td>
                  <td data-label="Consumer group">
                    <Link href={groupHref(s.consumerGroup)} className="group-link">
                      {s.consumerGroup}
                    </Link>
                  </td>
                  <ValueCell s={s} />
                  <td title={fmtTime(s.startsAt)} data-label="Firing since">{fmtAgo(s.startsAt)}</td>
                  <td className="small" data-label="Notified">
                    {held ? (
                      <span className="badge" title={`${held.reason} — by ${held.createdBy}, until ${fmtTime(held.endsAt)}`}>
                        silenced until {fmtTime(held.endsAt)}
                      </span>
                    ) : s.lastNotifiedAt ? (
                      fmtAgo(s.lastNotifiedAt)
                    ) : (
                      "not yet"
                    )}
                    {s.ackedBy ? (
                      <div data-acked={s.ackedBy}>
                        acknowledged by {s.ackedBy} {s.ackedAt ? fmtAgo(s.ackedAt) : ""}
                        {s.ackNote ? `: ${s.ackNote}` : ""}
                      </div>
                    ) : null}
                  </td>
                  {canAct ? (
                    <td className="actions card-actions">
                      {!s.ackedBy ? (
                        <button type="button" onClick={() => acknowledge(s)} disabled={busy}>
                          Acknowledge
                        </button>
                      ) : null}
                      {!held ? (
                        <button type="button" onClick={() => silence(s)} disabled={busy}>
                          Silence 1 h
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {pending.data && pending.data.states.length > 0 ? (
        <>
          <h2>Pending</h2>
          <p className="muted small">The condition holds, but not yet for the rule&apos;s pending period: nothing is sent unless it keeps holding.</p>
          <table className="grid compact" aria-label="Pending alerts">
            <thead>
              <tr>
                <th>Alert</th>
                <th>Consumer group</th>
                <th className="num">Value</th>
                <th>Holding since</th>
              </tr>
            </thead>
            <tbody>
              {pending.data.states.map((s) => (
                <tr key={s.id}>
                  <AlertCells s={s} onRule={onRule} />
                  <ValueCell s={s} />
                  <td className="small">{s.pendingSince ? fmtAgo(s.pendingSince) : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h2>Recently resolved</h2>
      <p className="muted small">
        The last resolution of each alert. How often an alert fired and flapped is under <b>History</b>.
      </p>
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
                <AlertCells s={s} onRule={onRule} />
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
