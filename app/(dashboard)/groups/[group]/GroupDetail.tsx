"use client";
/** One consumer group during an incident: what duplicated and why, who is alive, what is stuck. */
import Link from "next/link";
import { useRef, useState } from "react";
import { CauseLegend } from "@/app/components/CauseLegend";
import { ClaimsTable } from "@/app/components/ClaimsTable";
import { EmptyState } from "@/app/components/EmptyState";
import { EventsTable } from "@/app/components/EventsTable";
import { fmtClock, fmtInt, fmtPercent } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { LiveStatus } from "@/app/components/LiveStatus";
import { RangePicker } from "@/app/components/RangePicker";
import type { RebalanceCluster } from "@/app/components/rebalanceClusters";
import { RebalanceSwatch, TimeSeriesChart } from "@/app/components/TimeSeriesChart";
import { usePolling } from "@/app/components/usePolling";
import { WorkersTable } from "@/app/components/WorkersTable";
import type { RangeName } from "@/lib/http/schema";
import { sumHits } from "@/lib/queries/causes";
import type { GroupDetail as Detail } from "@/lib/queries/getGroupDetail";
import { Untrusted } from "@/app/components/Untrusted";

export function GroupDetail({ group }: { group: string }) {
  const [range, setRange] = useState<RangeName>("1h");
  // A clicked rebalance marker: the events list shows the replays that followed it.
  const [replays, setReplays] = useState<RebalanceCluster | null>(null);
  const eventsRef = useRef<HTMLElement>(null);
  const query = new URLSearchParams({ range });
  if (replays) {
    query.set("replaysFrom", new Date(replays.replaysFrom).toISOString());
    query.set("replaysTo", new Date(replays.replaysTo).toISOString());
  }
  const { data, error, loading, updatedAt, reload } = usePolling<Json<Detail>>(`/api/groups/${encodeURIComponent(group)}?${query}`);
  const showReplays = (c: RebalanceCluster) => {
    setReplays(c);
    eventsRef.current?.scrollIntoView({ behavior: "smooth", block: "start" });
  };

  if (error?.status === 404 && !data) {
    return (
      <EmptyState title={`No consumer group named “${group}” has reported anything.`}>
        Check the name on the <Link href="/">overview</Link>; a group appears once one of its workers has registered or flushed counters.
      </EmptyState>
    );
  }
  const hits = data ? sumHits(data.totals.hits) : 0;
  const unknown = data?.totals.hits.unknown ?? 0;
  const live = data?.workers.filter((w) => w.alive).length ?? 0;

  return (
    <>
      <div className="page-head">
        <h1>
          <Link href="/" className="muted">
            Groups
          </Link>{" "}
          / <Untrusted text={group} />
        </h1>
        <RangePicker value={range} onChange={setRange} />
        <LiveStatus updatedAt={updatedAt} error={error} loading={loading} />
      </div>
      {data ? (
        <>
          <p className="muted">Topics: {data.topics.join(", ") || "—"}</p>
          <div className="stats">
            <Stat label="Consumed" value={fmtInt(data.totals.consumed)} />
            <Stat label="Duplicate hits" value={fmtInt(hits)} />
            <Stat label="Dup rate" value={fmtPercent(data.totals.consumed ? hits / data.totals.consumed : 0)} />
            <Stat label="Rebalance replays" value={fmtInt(data.totals.hits.rebalance_replay)} />
            <Stat label="Stuck claims" value={fmtInt(data.stuck.length) + (data.stuckTruncated ? "+" : "")} bad={data.stuck.length > 0} />
            <Stat label="Workers alive" value={`${live} / ${data.workers.length}`} bad={live === 0} />
            <Stat label="Takeovers" value={fmtInt(data.totals.takeovers)} />
            <Stat label="Dead-lettered" value={fmtInt(data.totals.deadLettered)} bad={data.totals.deadLettered > 0} />
            <Stat label="Rejected" value={fmtInt(data.totals.rejected)} bad={data.totals.rejected > 0} />
          </div>

          <section>
            <h2>Duplicate hits by cause</h2>
            <CauseLegend
              extra={[
                { label: "Consumed (right axis)", swatch: <span className="swatch line" aria-hidden />, help: "messages consumed per bucket" },
                { label: "Rebalance (join / leave / timeout)", swatch: <RebalanceSwatch />, help: "a worker joined, left, or stopped heart-beating" },
              ]}
            />
            {hits > 0 && unknown / hits > UNKNOWN_ALERT_SHARE ? (
              <p className="unknown-alert" role="alert">
                {fmtInt(unknown)} of {fmtInt(hits)} duplicate hits ({fmtPercent(unknown / hits)}) have the cause <em>unknown</em>: the facts to decide it were
                missing (a holder not in the worker registry). <Link href="/docs/causes#unknown">What this means</Link>
              </p>
            ) : null}
            {hits === 0 && data.rebalances.length === 0 && data.totals.consumed === 0 ? (
              <EmptyState title="Nothing consumed in this range.">Pick a longer range, or check that the group&apos;s workers are running (below).</EmptyState>
            ) : (
              <TimeSeriesChart
                series={data.series}
                rebalances={data.rebalances}
                from={new Date(data.from).getTime()}
                to={new Date(data.to).getTime()}
                bucketS={data.bucketS}
                onSelectRebalances={showReplays}
              />
            )}
          </section>

          <section>
            <h2>Stuck claims</h2>
            {data.stuck.length === 0 ? (
              <EmptyState title="No stuck claims in this group.">Every claim in progress is within its lease.</EmptyState>
            ) : (
              <ClaimsTable claims={data.stuck} showGroup={false} onChanged={reload} now={updatedAt} />
            )}
          </section>

          <section>
            <h2>Workers</h2>
            {data.workers.length === 0 ? (
              <EmptyState title="No worker of this group is registered.">Start a worker for this group; it registers and heart-beats every few seconds.</EmptyState>
            ) : (
              <WorkersTable workers={data.workers} now={updatedAt} />
            )}
          </section>

          <section ref={eventsRef} aria-label="Events">
            {replays ? (
              <div className="section-head">
                <h2>
                  Replays after {replays.markers.length === 1 ? "the rebalance" : `${replays.markers.length} rebalances`} at {fmtClock(replays.replaysFrom, false)}
                </h2>
                <button type="button" onClick={() => setReplays(null)}>
                  Show all recent events
                </button>
              </div>
            ) : (
              <h2>Recent events</h2>
            )}
            {data.recentEvents.length === 0 ? (
              replays ? (
                <EmptyState title="No rebalance replay recorded after it.">The worker that left had no message in flight, or its messages were settled before the rebalance.</EmptyState>
              ) : (
                <EmptyState title="No events yet.">Events are written only off the happy path: duplicates, takeovers, releases, expiries.</EmptyState>
              )
            ) : (
              <EventsTable events={data.recentEvents} />
            )}
          </section>
        </>
      ) : null}
    </>
  );
}

/** More `unknown` hits than this share of all hits means our facts were missing: shown loudly. */
const UNKNOWN_ALERT_SHARE = 0.01;

function Stat({ label, value, bad }: { label: string; value: string; bad?: boolean }) {
  return (
    <div className={`stat ${bad ? "bad" : ""}`}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
