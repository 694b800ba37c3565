"use client";
/**
 * One consumer group during an incident: what duplicated and why, who is alive, what is stuck.
 * The range, the stuck claims' sort and page, the events' type and a clicked rebalance live in
 * the URL. Stuck claims are counted in full and read a page at a time, so the workers and the
 * events stay within reach however many there are.
 */
import Link from "next/link";
import { useRef } from "react";
import { apiGet } from "@/app/components/api";
import { CauseLegend } from "@/app/components/CauseLegend";
import { ClaimsTable, MAX_CLAIMS_PER_ACTION } from "@/app/components/ClaimsTable";
import { EmptyState } from "@/app/components/EmptyState";
import { EventsTable } from "@/app/components/EventsTable";
import { fmtClock, fmtInt, fmtPercent } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { LiveStatus } from "@/app/components/LiveStatus";
import { OptionSelect } from "@/app/components/OptionSelect";
import { Pager } from "@/app/components/Pager";
import { asRange, RangePicker } from "@/app/components/RangePicker";
import type { RebalanceGroup } from "@/app/components/rebalanceClusters";
import { EVENT_TYPES, STUCK_SORT_OPTIONS } from "@/app/components/listOptions";
import { RebalanceSwatch, TimeSeriesChart } from "@/app/components/TimeSeriesChart";
import { usePolling } from "@/app/components/usePolling";
import { useUrlState } from "@/app/components/useUrlState";
import { WorkersTable } from "@/app/components/WorkersTable";
import { sumHits } from "@/lib/queries/causes";
import type { GroupDetail as Detail } from "@/lib/queries/getGroupDetail";
import { Untrusted } from "@/app/components/Untrusted";
import type { StuckClaim } from "@/lib/queries/listStuckClaims";

const STUCK_PAGE = 25;

export function GroupDetail({ group }: { group: string }) {
  const [view, setView, ready] = useUrlState({ range: "1h", sort: "stuck_desc", page: "0", events: "", rebalances: "" }, ["range"]);
  const range = asRange(view.range);
  const offset = Number(view.page) * STUCK_PAGE || 0;
  const eventsRef = useRef<HTMLElement>(null);
  const query = new URLSearchParams({ range, stuckSort: view.sort, stuckOffset: String(offset), stuckLimit: String(STUCK_PAGE) });
  if (view.events) query.set("eventKind", view.events);
  if (view.rebalances) query.set("rebalances", view.rebalances);
  const { data, error, loading, updatedAt, reload } = usePolling<Json<Detail>>(ready ? `/api/groups/${encodeURIComponent(group)}?${query}` : null);
  // A clicked marker: the events list shows exactly the replays counted for its rebalances.
  const showReplays = (g: RebalanceGroup) => {
    setView({ rebalances: g.markers.map((m) => m.id).join(",") });
    eventsRef.current?.scrollIntoView({ behavior: "smooth", block: "start" });
  };
  const chosen = data?.replaysOf ? data.rebalances.filter((r) => data.replaysOf!.includes(r.id)) : [];
  const allMatching = {
    total: data?.stuckTotal ?? 0,
    load: async () =>
      (await apiGet<{ claims: Json<StuckClaim>[] }>(`/api/claims?${new URLSearchParams({ group, limit: String(MAX_CLAIMS_PER_ACTION) })}`)).claims,
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
  // Stopped instances (left or dead); a registered worker that is only late with its heartbeat is not one.
  const gone = data?.workers.filter((w) => w.state !== "live").length ?? 0;

  return (
    <>
      <div className="page-head">
        <h1>
          <Link href="/" className="muted">
            Groups
          </Link>{" "}
          / <Untrusted text={group} />
        </h1>
        <RangePicker value={range} onChange={(r) => setView({ range: r, rebalances: "" })} />
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
            <Stat label="Stuck claims" value={fmtInt(data.stuckTotal)} bad={data.stuckTotal > 0} />
            <Stat label={gone > 0 ? `Workers alive (${fmtInt(gone)} gone in range)` : "Workers alive"} value={fmtInt(live)} bad={live === 0} />
            <Stat label="Takeovers" value={fmtInt(data.totals.takeovers)} />
            <Stat label="Re-runs" value={fmtInt(data.totals.reruns)} />
            <Stat label="Handler re-runs" value={fmtInt(data.totals.handlerReruns)} />
            <Stat label="Dead-lettered" value={fmtInt(data.totals.deadLettered)} bad={data.totals.deadLettered > 0} />
            <Stat label="Rejected" value={fmtInt(data.totals.rejected)} bad={data.totals.rejected > 0} />
          </div>
          <p>
            <Link href={`/groups/${encodeURIComponent(group)}/dead-letters`}>Dead letters: what died, why, and re-drive →</Link>
          </p>

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

          <section aria-label="Stuck claims">
            <div className="section-head">
              <h2>
                Stuck claims <span className="muted">({fmtInt(data.stuckTotal)})</span>
              </h2>
              <label className="inline">
                Sort{" "}
                <OptionSelect value={view.sort} options={STUCK_SORT_OPTIONS} onChange={(sort) => setView({ sort, page: "0" })} />
              </label>
              <Link href={`/claims?group=${encodeURIComponent(group)}`}>Open in Stuck claims</Link>
            </div>
            {data.stuckTotal === 0 ? (
              <EmptyState title="No stuck claims in this group.">Every claim in progress is within its lease.</EmptyState>
            ) : (
              <>
                <ClaimsTable claims={data.stuck} showGroup={false} onChanged={reload} now={updatedAt} allMatching={allMatching} />
                <Pager offset={offset} shown={data.stuck.length} total={data.stuckTotal} pageSize={STUCK_PAGE} label="Stuck claims" onOffset={(o) => setView({ page: String(o / STUCK_PAGE) })} />
              </>
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
            {data.replaysOf ? (
              <div className="section-head">
                <h2>
                  Replays counted for {chosen.length === 1 ? `the ${chosen[0].kind} of ${chosen[0].workerId}` : `${chosen.length} rebalances`}
                  {chosen.length > 0 ? ` at ${fmtClock(Date.parse(chosen[0].at), false)}` : ""} ({fmtInt(chosen.reduce((n, r) => n + r.replays, 0))})
                </h2>
                <button type="button" onClick={() => setView({ rebalances: "" })}>
                  Show all recent events
                </button>
              </div>
            ) : (
              <div className="section-head">
                <h2>Recent events</h2>
                <label className="inline">
                  Type{" "}
                  <OptionSelect value={view.events} options={EVENT_TYPES} onChange={(events) => setView({ events })} />
                </label>
              </div>
            )}
            {data.recentEvents.length === 0 ? (
              data.replaysOf ? (
                <EmptyState title="No rebalance replay is counted for it.">
                  {chosen.every((r) => r.kind === "join")
                    ? "A worker joining hands no copy out again; replays follow a worker that left or died."
                    : "The worker that left had no message in flight, or its messages were settled before it went."}
                </EmptyState>
              ) : view.events ? (
                <EmptyState title="No event of this type in the group.">Pick another type, or all events.</EmptyState>
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
