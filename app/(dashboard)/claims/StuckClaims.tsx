"use client";
/**
 * Stuck claims across groups: filter, sort, page through them, select (or take every claim the
 * filter matches), release or mark done (operators). Filters, sort and page live in the URL.
 */
import { apiGet } from "@/app/components/api";
import { ClaimsTable, MAX_CLAIMS_PER_ACTION } from "@/app/components/ClaimsTable";
import { EmptyState } from "@/app/components/EmptyState";
import { fmtInt } from "@/app/components/format";
import type { Json } from "@/app/components/json";
import { STUCK_SORT_OPTIONS } from "@/app/components/listOptions";
import { LiveStatus } from "@/app/components/LiveStatus";
import { OptionSelect } from "@/app/components/OptionSelect";
import { Pager } from "@/app/components/Pager";
import { usePolling } from "@/app/components/usePolling";
import { useUrlState } from "@/app/components/useUrlState";
import type { StuckPage } from "@/lib/queries/listStuckClaims";

const PAGE = 50;

const AGES = [
  { value: "", label: "any age" },
  { value: "60", label: "≥ 1 min" },
  { value: "300", label: "≥ 5 min" },
  { value: "900", label: "≥ 15 min" },
  { value: "3600", label: "≥ 1 hour" },
];

export function StuckClaims({ initialGroup }: { initialGroup: string }) {
  const [filter, setFilter, ready] = useUrlState({ group: initialGroup, topic: "", minStuckS: "", ownerAlive: "any", sort: "stuck_desc", page: "0" });
  const offset = Number(filter.page) * PAGE || 0;
  const params = new URLSearchParams();
  if (filter.group.trim()) params.set("group", filter.group.trim());
  if (filter.topic.trim()) params.set("topic", filter.topic.trim());
  if (filter.minStuckS) params.set("minStuckS", filter.minStuckS);
  if (filter.ownerAlive !== "any") params.set("ownerAlive", filter.ownerAlive);
  const matching = new URLSearchParams(params);
  matching.set("limit", String(MAX_CLAIMS_PER_ACTION));
  params.set("sort", filter.sort);
  params.set("offset", String(offset));
  params.set("limit", String(PAGE));
  const { data, error, loading, updatedAt, reload } = usePolling<Json<StuckPage>>(ready ? `/api/claims?${params}` : null);
  // A filter change starts again at the first page.
  const set = (k: "group" | "topic" | "minStuckS" | "ownerAlive") => (e: { target: { value: string } }) => setFilter({ [k]: e.target.value, page: "0" });
  const filtered = filter.group || filter.topic || filter.minStuckS || filter.ownerAlive !== "any";
  const allMatching = { total: data?.total ?? 0, load: async () => (await apiGet<Json<StuckPage>>(`/api/claims?${matching}`)).claims };

  return (
    <>
      <div className="page-head">
        <h1>Stuck claims{data ? <span className="muted"> ({fmtInt(data.total)})</span> : null}</h1>
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
        <label>
          Sort
          <OptionSelect value={filter.sort} options={STUCK_SORT_OPTIONS} onChange={(sort) => setFilter({ sort, page: "0" })} />
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
          <ClaimsTable claims={data.claims} onChanged={reload} now={updatedAt} allMatching={allMatching} />
          <Pager offset={offset} shown={data.claims.length} total={data.total} pageSize={PAGE} label="Stuck claims" onOffset={(o) => setFilter({ page: String(o / PAGE) })} />
        </>
      ) : null}
    </>
  );
}
