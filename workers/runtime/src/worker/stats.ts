/**
 * The worker's rollup flush, every FLUSH_INTERVAL_S and at shutdown. Two jobs:
 *  - roll up group_stats_delta: the counts that committed with the work they count (claims,
 *    commits, events, deliveries handled), moved into the minute/hour rollups and group_totals
 *    in one transaction per pass. Any worker rolls up every worker's deltas, so a SIGKILLed
 *    worker's last counts are rolled up by the survivors;
 *  - write the few counts that have no row of their own to commit with (lock-conflict retries),
 *    summed here in memory per minute (`add`). A failed flush puts them back, so they are never
 *    counted twice by a retry; a SIGKILL loses those since the last flush.
 * The dashboard reads a few rows per group instead of scanning claims and events (hour rows for
 * the long ranges: 24 per group/topic and day instead of 1,440 minute rows).
 */
import type { Pool } from "../db/pool.js";
import { rollUpStatsDeltas, upsertRollups, type Counts } from "../sql/index.js";
import { STAT_COUNTERS, type StatCounter } from "../vocabulary.js";
import { isLockConflict } from "../claim/db-guard.js";

export { STAT_COUNTERS };

interface Bucket {
  group: string;
  topic: string;
  /** Start of the minute, ms since epoch (UTC). */
  minute: number;
  counts: Counts;
}

export interface StatsCollector {
  /** Count something that has no row of its own to commit with (see the header). */
  add(group: string, topic: string, counter: StatCounter, n?: number): void;
  /** Write what was summed so far and roll up the deltas; on error the counts are kept for the next flush. */
  flush(): Promise<void>;
  /** Counts not yet flushed (tests, metrics). */
  pendingCount(): number;
}

/** Add `counts` to the entry `id` of `into`, made by `fresh` when missing. */
function sumInto<T extends { counts: Counts }>(into: Map<string, T>, id: string, fresh: () => T, counts: Counts): void {
  let t = into.get(id);
  if (!t) into.set(id, (t = fresh()));
  for (const c of STAT_COUNTERS) t.counts[c] = (t.counts[c] ?? 0) + (counts[c] ?? 0);
}

/**
 * Workers flush the same rollup rows (a group's minute, hour and total) at the same moments; on a
 * multi-primary cluster two such flushes through different nodes fail certification (1213) at
 * COMMIT. A flush is all-or-nothing (its counts go back, its deltas stay), so it is simply run again.
 */
async function retryLockConflicts(run: () => Promise<void>, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isLockConflict(err) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
    }
  }
}

export function createStatsCollector(pool: Pool, now: () => number = Date.now): StatsCollector {
  let buckets = new Map<string, Bucket>();
  let flushing: Promise<void> | undefined;

  // The last bucket used, so the hot path (a few counters per message, same group and minute)
  // skips building the map key.
  let last: Bucket | undefined;

  function add(group: string, topic: string, counter: StatCounter, n = 1): void {
    const minute = Math.floor(now() / 60_000) * 60_000;
    let b = last;
    if (!b || b.minute !== minute || b.group !== group || b.topic !== topic) {
      const id = `${group}\u0000${topic}\u0000${minute}`;
      b = buckets.get(id);
      if (!b) buckets.set(id, (b = { group, topic, minute, counts: {} }));
      last = b;
    }
    b.counts[counter] = (b.counts[counter] ?? 0) + n;
  }

  /** Minute buckets as rollup rows: the minutes themselves, summed per hour and per group/topic. */
  function writeBuckets(taken: Bucket[]): Promise<void> {
    const hours = new Map<string, { group: string; topic: string; hour: Date; counts: Counts }>();
    const totals = new Map<string, { group: string; topic: string; counts: Counts }>();
    for (const b of taken) {
      const hour = Math.floor(b.minute / 3_600_000) * 3_600_000;
      sumInto(hours, `${b.group}\u0000${b.topic}\u0000${hour}`, () => ({ group: b.group, topic: b.topic, hour: new Date(hour), counts: {} }), b.counts);
      sumInto(totals, `${b.group}\u0000${b.topic}`, () => ({ group: b.group, topic: b.topic, counts: {} }), b.counts);
    }
    return upsertRollups(pool, {
      minutes: taken.map((b) => ({ group: b.group, topic: b.topic, minute: new Date(b.minute), counts: b.counts })),
      hours: [...hours.values()],
      totals: [...totals.values()],
    });
  }

  async function flushOnce(): Promise<void> {
    if (buckets.size === 0) return;
    const taken = [...buckets.values()];
    buckets = new Map();
    last = undefined;
    try {
      await writeBuckets(taken);
    } catch (err) {
      // Put the counts back: the next flush writes them (never lost, never doubled).
      for (const b of taken) {
        for (const c of STAT_COUNTERS) if (b.counts[c]) addAt(b, c, b.counts[c]!);
      }
      throw err;
    }
  }

  function addAt(b: Bucket, counter: StatCounter, n: number): void {
    const id = `${b.group}\u0000${b.topic}\u0000${b.minute}`;
    let cur = buckets.get(id);
    if (!cur) buckets.set(id, (cur = { group: b.group, topic: b.topic, minute: b.minute, counts: {} }));
    cur.counts[counter] = (cur.counts[counter] ?? 0) + n;
  }

  return {
    add,
    async flush() {
      // Serialise flushes: two concurrent ones would each take a disjoint part, which is fine,
      // but a serial order keeps minute rows written in time order.
      while (flushing) await flushing.catch(() => {});
      flushing = retryLockConflicts(async () => {
        await flushOnce();
        await rollUpStatsDeltas(pool);
      });
      try {
        await flushing;
      } finally {
        flushing = undefined;
      }
    },
    pendingCount() {
      let n = 0;
      for (const b of buckets.values()) for (const c of STAT_COUNTERS) n += b.counts[c] ?? 0;
      return n;
    },
  };
}
