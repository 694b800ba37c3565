"use client";
/**
 * One row per consumer group for the chosen range, refreshed every 5 s in place. The range is in
 * the URL and follows the operator to a group's page (and back).
 */
import Link from "next/link";
import { CauseLegend } from "@/app/components/CauseLegend";
import { EmptyState } from "@/app/components/EmptyState";
import { fmtAgo, fmtDuration, fmtInt, fmtPercent } from "@/app/components/format";
import { HitsBar } from "@/app/components/HitsBar";
import type { Json } from "@/app/components/json";
import { LiveStatus } from "@/app/components/LiveStatus";
import { asRange, RangePicker } from "@/app/components/RangePicker";
import { Sparkline } from "@/app/components/Sparkline";
import { usePolling } from "@/app/components/usePolling";
import { useUrlState } from "@/app/components/useUrlState";
import type { GroupOverview } from "@/lib/queries/getGroupOverview";
import { Untrusted } from "@/app/components/Untrusted";

export function Overview() {
  const [view, setView, ready] = useUrlState({ range: "1h" }, ["range"]);
  const range = asRange(view.range);
  const { data, error, loading, updatedAt } = usePolling<Json<GroupOverview>>(ready ? `/api/overview?range=${range}` : null);

  return (
    <>
      <div className="page-head">
        <h1>Consumer groups</h1>
        <RangePicker value={range} onChange={(r) => setView({ range: r })} />
        <LiveStatus updatedAt={updatedAt} error={error} loading={loading} />
      </div>
      <CauseLegend extra={[{ label: "Consumed (line)", swatch: <span className="swatch line" aria-hidden />, help: "messages consumed per bucket, own scale" }]} />
      {data && data.groups.length === 0 ? (
        <EmptyState title="No consumer group has reported yet.">
          Groups appear here within seconds of a dedup worker&apos;s first flush. Start one with <code>npm start</code> (it runs the demo workers against the
          dev broker), or point your own workers at this database (<code>DATABASE_URL</code>).
        </EmptyState>
      ) : null}
      {data && data.groups.length > 0 ? (
        <table className="grid overview">
          <thead>
            <tr>
              <th>Group</th>
              <th className="num">Consumed</th>
              <th>Duplicate hits by cause</th>
              <th className="num">Dup rate</th>
              <th className="num">Stuck claims</th>
              <th className="num">Orphaned</th>
              <th className="num">Rebalance replays</th>
              <th className="num" title="Messages a handler rejected as never able to succeed (UnrecoverableError): acked, not retried">
                Rejected
              </th>
              <th className="num">Workers live / seen</th>
              <th>Last rebalance</th>
              <th>Trend</th>
            </tr>
          </thead>
          <tbody>
            {data.groups.map((g) => (
              <tr key={g.consumerGroup} data-group={g.consumerGroup}>
                <td>
                  <Link href={`/groups/${encodeURIComponent(g.consumerGroup)}`} className="group-link">
                    <Untrusted text={g.consumerGroup} />
                  </Link>
                  <div className="muted small">{g.topics.join(", ") || "—"}</div>
                </td>
                <td className="num">{fmtInt(g.consumed)}</td>
                <td>
                  <HitsBar hits={g.hits} total={g.hitsTotal} />
                </td>
                <td className={`num ${g.dupRate >= 0.05 ? "warn" : ""}`}>{fmtPercent(g.dupRate)}</td>
                <td className="num">
                  {g.stuck.count > 0 ? (
                    <Link href={`/claims?group=${encodeURIComponent(g.consumerGroup)}`} className="bad">
                      {fmtInt(g.stuck.count)} · oldest {fmtDuration(g.stuck.oldestStuckS)}
                    </Link>
                  ) : (
                    <span className="muted">0</span>
                  )}
                </td>
                <td className={`num ${g.stuck.orphaned > 0 ? "bad" : "muted"}`}>{fmtInt(g.stuck.orphaned)}</td>
                <td className="num">{fmtInt(g.replays)}</td>
                <td className={`num ${g.rejected > 0 ? "warn" : "muted"}`}>{fmtInt(g.rejected)}</td>
                <td className={`num ${g.workers.live === 0 ? "bad" : ""}`}>
                  {g.workers.live} / {g.workers.total}
                </td>
                <td className="small">{fmtAgo(g.lastRebalanceAt, updatedAt)}</td>
                <td>
                  <Sparkline points={g.spark} width={120} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
