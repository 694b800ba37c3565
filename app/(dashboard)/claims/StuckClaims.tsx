"use client";
/** Stuck claims across groups: filter, select, release or mark done (operators). */
import { useState } from "react";
import { ClaimsTable } from "@/app/components/ClaimsTable";
import { EmptyState } from "@/app/components/EmptyState";
import type { Json } from "@/app/components/json";
import { LiveStatus } from "@/app/components/LiveStatus";
import { usePolling } from "@/app/components/usePolling";
import type { StuckClaim } from "@/lib/queries/listStuckClaims";

const AGES = [
  { value: "", label: "any age" },
  { value: "60", label: "≥ 1 min" },
  { value: "300", label: "≥ 5 min" },
  { value: "900", label: "≥ 15 min" },
  { value: "3600", label: "≥ 1 hour" },
];

export function StuckClaims({ initialGroup }: { initialGroup: string }) {
  const [filter, setFilter] = useState({ group: initialGroup, topic: "", minStuckS: "", ownerAlive: "any" });
  const params = new URLSearchParams();
  if (filter.group.trim()) params.set("group", filter.group.trim());
  if (filter.topic.trim()) params.set("topic", filter.topic.trim());
  if (filter.minStuckS) params.set("minStuckS", filter.minStuckS);
  if (filter.ownerAlive !== "any") params.set("ownerAlive", filter.ownerAlive);
  const { data, error, loading, updatedAt, reload } = usePolling<Json<{ claims: StuckClaim[]; truncated: boolean }>>(`/api/claims?${params}`);
  const set = (k: keyof typeof filter) => (e: { target: { value: string } }) => setFilter((f) => ({ ...f, [k]: e.target.value }));
  const filtered = filter.group || filter.topic || filter.minStuckS || filter.ownerAlive !== "any";

  return (
    <>
      <div className="page-head">
        <h1>Stuck claims</h1>
        <LiveStatus updatedAt={updatedAt} error={error} loading={loading} />
      </div>
      <p className="muted">
        Claims still in progress after their lease ran out. <b>Orphaned</b> ones (owner not alive) will not finish on their own: with the <code>hold</code> policy
        their message waits for you. Release if the effect did not happen; mark done if it did.
      </p>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter stuck claims">
        <label>
          Group
          <input value={filter.group} onChange={set("group")} placeholder="all groups" />
        </label>
        <label>
          Topic
          <input value={filter.topic} onChange={set("topic")} placeholder="all topics" />
        </label>
        <label>
          Stuck for
          <select value={filter.minStuckS} onChange={set("minStuckS")}>
            {AGES.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Owner
          <select value={filter.ownerAlive} onChange={set("ownerAlive")}>
            <option value="any">alive or not</option>
            <option value="no">not alive (orphaned)</option>
            <option value="yes">alive</option>
          </select>
        </label>
      </form>
      {error?.status === 400 ? <p className="error">{error.message}</p> : null}
      {data && data.claims.length === 0 ? (
        <EmptyState title={filtered ? "No stuck claim matches these filters." : "No stuck claims."}>
          {filtered ? "Clear a filter to see more." : "Every claim in progress is within its lease. Claims show up here when a worker dies or hangs past its lease."}
        </EmptyState>
      ) : null}
      {data && data.claims.length > 0 ? (
        <>
          <ClaimsTable claims={data.claims} onChanged={reload} now={updatedAt} />
          {data.truncated ? <p className="muted small">Showing the {data.claims.length} oldest; narrow the filters to see others.</p> : null}
        </>
      ) : null}
    </>
  );
}
