/**
 * Retention: DONE claims past expire_at, and events, minute rollups and rebalance events older
 * than the window, hour rollups older than their own (longer) window, deleted in bounded batches (short transactions, a pause between them) so
 * consumers are never blocked. One instance at a time does it: the holder of the `retention`
 * lease (singleton-lease.ts; GET_LOCK is not replicated by Galera), each batch proving its
 * fence. Totals are never pruned.
 */
import { deleteInBatches, intervalMicros, type Conn, type Pool } from "../db/mysql";
import { acquireLease, holdFence, newHolderId, releaseLease } from "../db/singleton-lease";

const RETENTION_HOLDER = newHolderId("retention");
/** Every batch renews the lease; a pass that stops renewing is replaced after this long. */
const RETENTION_LEASE_MS = 60_000;

export interface RetentionOptions {
  /** Events, rollups and rebalance events older than this go (DONE claims use their expire_at). */
  retentionMs: number;
  /** Hour rollups older than this go; at least retentionMs (default 90 days). */
  hourRetentionMs?: number;
  batchSize?: number;
  /** Pause between batches, so the deletes leave room for consumers. */
  pauseMs?: number;
  /** Stop after this many rows per table in one run (the next run continues). */
  maxRowsPerTable?: number;
  /** Holder id in the election (default: one per process). */
  holder?: string;
}

export interface RetentionResult {
  /** False when another instance holds the retention lease. */
  elected: boolean;
  claims: number;
  events: number;
  minutes: number;
  hours: number;
  rebalances: number;
}

/** Run one retention pass if this instance wins the election; otherwise do nothing. */
export async function runRetention(pool: Pool, opts: RetentionOptions): Promise<RetentionResult> {
  const o: Parameters<typeof deleteInBatches>[3] = { batchSize: opts.batchSize ?? 1000, pauseMs: opts.pauseMs ?? 50, maxRows: opts.maxRowsPerTable ?? 1_000_000 };
  const holder = opts.holder ?? RETENTION_HOLDER;
  const micros = intervalMicros(opts.retentionMs);
  // Hour rows outlive minute rows: the long dashboard ranges read them.
  const hourMicros = intervalMicros(Math.max(opts.retentionMs, opts.hourRetentionMs ?? 90 * 86_400_000));
  const conn = await pool.getConnection();
  try {
    const fence = await acquireLease(conn, "retention", holder, RETENTION_LEASE_MS);
    if (fence === undefined) return { elected: false, claims: 0, events: 0, minutes: 0, hours: 0, rebalances: 0 };
    o.fence = (c: Conn) => holdFence(c, "retention", holder, fence, RETENTION_LEASE_MS);
    try {
      const claims = await deleteInBatches(conn, "DELETE FROM dedup_claim WHERE expire_at < UTC_TIMESTAMP(3) AND state = 'DONE' ORDER BY expire_at", [], o);
      const events = await deleteInBatches(conn, "DELETE FROM dedup_event WHERE ts < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY ts", [micros], o);
      const minutes = await deleteInBatches(conn, "DELETE FROM group_stats_minute WHERE minute < UTC_TIMESTAMP() - INTERVAL ? MICROSECOND ORDER BY minute", [micros], o);
      const hours = await deleteInBatches(conn, "DELETE FROM group_stats_hour WHERE hour < UTC_TIMESTAMP() - INTERVAL ? MICROSECOND ORDER BY hour", [hourMicros], o);
      const rebalances = await deleteInBatches(conn, "DELETE FROM rebalance_event WHERE ts < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY ts", [micros], o);
      return { elected: true, claims, events, minutes, hours, rebalances };
    } finally {
      await releaseLease(conn, "retention", holder, fence);
    }
  } finally {
    conn.release();
  }
}
