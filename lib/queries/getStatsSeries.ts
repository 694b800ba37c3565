/**
 * Rollup counters (group_stats_minute) summed into the window's buckets, per group. Reads only
 * the rollup: at most groups × topics × minutes-in-window rows, independent of message volume.
 */
import { Prisma } from "../generated/prisma/client";
import { prisma } from "../db/prisma";
import { emptyHits, type HitsByCause } from "./causes";
import { bucketStarts, toNumber, type Window } from "./time";

export interface Counters {
  consumed: number;
  claims: number;
  commits: number;
  hits: HitsByCause;
  inflightWaits: number;
  releases: number;
  takeovers: number;
  expiries: number;
  payloadMismatches: number;
  deadLettered: number;
}

export interface Bucket extends Counters {
  /** Bucket start, epoch ms. */
  t: number;
}

export function emptyCounters(): Counters {
  return { consumed: 0, claims: 0, commits: 0, hits: emptyHits(), inflightWaits: 0, releases: 0, takeovers: 0, expiries: 0, payloadMismatches: 0, deadLettered: 0 };
}

export function addCounters(into: Counters, c: Counters): Counters {
  for (const k of ["consumed", "claims", "commits", "inflightWaits", "releases", "takeovers", "expiries", "payloadMismatches", "deadLettered"] as const) into[k] += c[k];
  for (const cause of Object.keys(into.hits) as (keyof HitsByCause)[]) into.hits[cause] += c.hits[cause];
  return into;
}

interface Row {
  consumer_group: string;
  b: unknown;
  [column: string]: unknown;
}

/**
 * Map of group → one bucket per step of the window (zeros where nothing was flushed).
 * TO_SECONDS is time-zone independent and cheaper in GROUP BY than TIMESTAMPDIFF. The cost grows
 * with groups × topics × minutes in the window, not with the number of messages.
 */
export async function getStatsSeries(w: Window, group?: string): Promise<Map<string, Bucket[]>> {
  const groupFilter = group === undefined ? Prisma.empty : Prisma.sql`AND consumer_group = ${group}`;
  const rows = await prisma().$queryRaw<Row[]>`
    SELECT consumer_group, (TO_SECONDS(minute) - TO_SECONDS(${w.from})) DIV ${w.bucketS} AS b,
           SUM(consumed) AS consumed, SUM(claims) AS claims, SUM(commits) AS commits,
           SUM(dup_producer_resend) AS producer_resend, SUM(dup_rebalance_replay) AS rebalance_replay,
           SUM(dup_redelivery) AS redelivery, SUM(dup_unknown) AS unknown,
           SUM(inflight_waits) AS inflight_waits, SUM(releases) AS releases, SUM(takeovers) AS takeovers,
           SUM(expiries) AS expiries, SUM(payload_mismatches) AS payload_mismatches, SUM(dead_lettered) AS dead_lettered
      FROM group_stats_minute
     WHERE minute >= ${w.from} ${groupFilter}
     GROUP BY consumer_group, b`;

  const starts = bucketStarts(w);
  const out = new Map<string, Bucket[]>();
  for (const r of rows) {
    let series = out.get(r.consumer_group);
    if (!series) out.set(r.consumer_group, (series = starts.map((t) => ({ t, ...emptyCounters() }))));
    const bucket = series[toNumber(r.b)];
    if (!bucket) continue; // a flush stamped in the future (clock skew): not in this window
    addCounters(bucket, {
      consumed: toNumber(r.consumed),
      claims: toNumber(r.claims),
      commits: toNumber(r.commits),
      hits: {
        producer_resend: toNumber(r.producer_resend),
        rebalance_replay: toNumber(r.rebalance_replay),
        redelivery: toNumber(r.redelivery),
        unknown: toNumber(r.unknown),
      },
      inflightWaits: toNumber(r.inflight_waits),
      releases: toNumber(r.releases),
      takeovers: toNumber(r.takeovers),
      expiries: toNumber(r.expiries),
      payloadMismatches: toNumber(r.payload_mismatches),
      deadLettered: toNumber(r.dead_lettered),
    });
  }
  return out;
}

export function sumSeries(series: Bucket[] | undefined): Counters {
  return (series ?? []).reduce((acc, b) => addCounters(acc, b), emptyCounters());
}
