/**
 * Rollup counters (group_stats_minute, group_stats_hour, and the counts committed since the last
 * roll-up, group_stats_delta) summed into the window's buckets, per group. Reads only the rollups,
 * never claims or events: the cost is independent of message volume.
 */
import { STAT_COUNTERS } from "@dedup-audit/runtime/vocabulary";
import { Prisma } from "../generated/prisma/client";
import { prisma } from "../db/prisma";
import { CAUSES, emptyHits, type HitsByCause } from "./causes";
import { bucketOrigin, bucketStarts, toNumber, type Window } from "./time";

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
  /** Messages a handler rejected (UnrecoverableError): claim closed, acked, not retried. */
  rejected: number;
  /** Copies that ran after a release or a takeover (not duplicate hits). */
  reruns: number;
  /** Transactional handler invocations beyond the first for one message in one batch. */
  handlerReruns: number;
}

export interface Bucket extends Counters {
  /** Bucket start, epoch ms. */
  t: number;
}

export function emptyCounters(): Counters {
  return { consumed: 0, claims: 0, commits: 0, hits: emptyHits(), inflightWaits: 0, releases: 0, takeovers: 0, expiries: 0, payloadMismatches: 0, deadLettered: 0, rejected: 0, reruns: 0, handlerReruns: 0 };
}

export function addCounters(into: Counters, c: Counters): Counters {
  for (const k of ["consumed", "claims", "commits", "inflightWaits", "releases", "takeovers", "expiries", "payloadMismatches", "deadLettered", "rejected", "reruns", "handlerReruns"] as const) into[k] += c[k];
  for (const cause of Object.keys(into.hits) as (keyof HitsByCause)[]) into.hits[cause] += c.hits[cause];
  return into;
}

interface Row {
  consumer_group: string;
  b: unknown;
  [column: string]: unknown;
}

const HOUR_MS = 3_600_000;

/**
 * Which rollup rows cover the window. Minute rows always can; hour rows (group_stats_hour) only
 * when every bucket boundary falls on a whole hour, so no hour row straddles two buckets. Then
 * every closed hour from the first whole hour up to the current hour is read from the hour rows
 * (24 rows per group/topic and day instead of 1,440), and only the edges from minute rows: the
 * part of the first hour before it starts (a window starting at :30) and the current, still open
 * hour. The flush writes a minute row and its hour row in one transaction, so the sum is exact.
 */
export function statsSources(w: Window): { hours?: { from: Date; to: Date }; minuteRanges: { from: Date; to?: Date }[] } {
  const firstHour = Math.ceil(w.from.getTime() / HOUR_MS) * HOUR_MS;
  const currentHour = Math.floor(w.to.getTime() / HOUR_MS) * HOUR_MS;
  if ((w.bucketS * 1000) % HOUR_MS !== 0 || firstHour >= currentHour) return { minuteRanges: [{ from: w.from }] };
  const minuteRanges: { from: Date; to?: Date }[] = [{ from: new Date(currentHour) }];
  if (firstHour > w.from.getTime()) minuteRanges.unshift({ from: w.from, to: new Date(firstHour) });
  return { hours: { from: new Date(firstHour), to: new Date(currentHour) }, minuteRanges };
}

// Every rollup counter summed; duplicate columns named after their cause (dup_redelivery AS redelivery).
// The names are the vocabulary's constants, never user input, so Prisma.raw is safe here.
const sumColumns = Prisma.raw(STAT_COUNTERS.map((c) => `SUM(${c}) AS ${c.replace(/^dup_/, "")}`).join(", "));

/**
 * Map of group → one bucket per step of the window (zeros where nothing was flushed).
 * TO_SECONDS is time-zone independent and cheaper in GROUP BY than TIMESTAMPDIFF. The cost grows
 * with groups × topics × rollup rows in the window (see statsSources), not with message volume.
 */
export async function getStatsSeries(w: Window, group?: string): Promise<Map<string, Bucket[]>> {
  const groupFilter = group === undefined ? Prisma.empty : Prisma.sql`AND consumer_group = ${group}`;
  const origin = new Date(bucketOrigin(w));
  const src = statsSources(w);
  const minuteWhere = Prisma.join(
    src.minuteRanges.map((r) => (r.to ? Prisma.sql`(minute >= ${r.from} AND minute < ${r.to})` : Prisma.sql`minute >= ${r.from}`)),
    " OR ",
  );
  const queries: Promise<Row[]>[] = [
    prisma().$queryRaw<Row[]>`
      SELECT consumer_group, (TO_SECONDS(minute) - TO_SECONDS(${origin})) DIV ${w.bucketS} AS b, ${sumColumns}
        FROM group_stats_minute
       WHERE (${minuteWhere}) ${groupFilter}
       GROUP BY consumer_group, b`,
  ];
  if (src.hours) {
    queries.push(prisma().$queryRaw<Row[]>`
      SELECT consumer_group, (TO_SECONDS(hour) - TO_SECONDS(${origin})) DIV ${w.bucketS} AS b, ${sumColumns}
        FROM group_stats_hour
       WHERE hour >= ${src.hours.from} AND hour < ${src.hours.to} ${groupFilter}
       GROUP BY consumer_group, b`);
  }
  // Counts committed but not rolled up yet: a handful of rows per worker and flush interval.
  queries.push(prisma().$queryRaw<Row[]>`
    SELECT consumer_group, (TO_SECONDS(minute) - TO_SECONDS(${origin})) DIV ${w.bucketS} AS b, ${sumColumns}
      FROM group_stats_delta
     WHERE minute >= ${w.from} ${groupFilter}
     GROUP BY consumer_group, b`);
  const rows = (await Promise.all(queries)).flat();

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
      hits: Object.fromEntries(CAUSES.map((c) => [c, toNumber(r[c])])) as HitsByCause,
      inflightWaits: toNumber(r.inflight_waits),
      releases: toNumber(r.releases),
      takeovers: toNumber(r.takeovers),
      expiries: toNumber(r.expiries),
      payloadMismatches: toNumber(r.payload_mismatches),
      deadLettered: toNumber(r.dead_lettered),
      rejected: toNumber(r.rejected),
      reruns: toNumber(r.reruns),
      handlerReruns: toNumber(r.handler_reruns),
    });
  }
  return out;
}

export function sumSeries(series: Bucket[] | undefined): Counters {
  return (series ?? []).reduce((acc, b) => addCounters(acc, b), emptyCounters());
}
