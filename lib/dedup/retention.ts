/**
 * Retention: DONE claims past expire_at, and events, msgIds written down for duplicate causes,
 * minute rollups and rebalance events older than the window, hour rollups older than their own (longer) window, deleted in bounded batches (short transactions, a pause between them) so
 * consumers are never blocked. One instance at a time does it: the holder of a GET_LOCK named
 * after the database. Totals are never pruned.
 */
import type mysql from "mysql2/promise";
import { deleteInBatches, intervalMicros, type Pool } from "../db/mysql";

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
}

export interface RetentionResult {
  /** False when another instance holds the retention lock. */
  elected: boolean;
  claims: number;
  events: number;
  minutes: number;
  hours: number;
  rebalances: number;
  seenMsgs: number;
}

/** Run one retention pass if this instance wins the election; otherwise do nothing. */
export async function runRetention(pool: Pool, opts: RetentionOptions): Promise<RetentionResult> {
  const o = { batchSize: opts.batchSize ?? 1000, pauseMs: opts.pauseMs ?? 50, maxRows: opts.maxRowsPerTable ?? 1_000_000 };
  const micros = intervalMicros(opts.retentionMs);
  // Hour rows outlive minute rows: the long dashboard ranges read them.
  const hourMicros = intervalMicros(Math.max(opts.retentionMs, opts.hourRetentionMs ?? 90 * 86_400_000));
  const conn = await pool.getConnection();
  try {
    const [[db]] = await conn.query<mysql.RowDataPacket[]>("SELECT DATABASE() AS name");
    const lockName = `dedup_audit.retention.${String(db?.name)}`;
    // GET_LOCK is held by this connection: if the process dies, the server frees it.
    const [[lock]] = await conn.query<mysql.RowDataPacket[]>("SELECT GET_LOCK(?, 0) AS got", [lockName]);
    if (Number(lock?.got) !== 1) return { elected: false, claims: 0, events: 0, minutes: 0, hours: 0, rebalances: 0, seenMsgs: 0 };
    try {
      const claims = await deleteInBatches(conn, "DELETE FROM dedup_claim WHERE expire_at < UTC_TIMESTAMP(3) AND state = 'DONE' ORDER BY expire_at", [], o);
      const events = await deleteInBatches(conn, "DELETE FROM dedup_event WHERE ts < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY ts", [micros], o);
      const minutes = await deleteInBatches(conn, "DELETE FROM group_stats_minute WHERE minute < UTC_TIMESTAMP() - INTERVAL ? MICROSECOND ORDER BY minute", [micros], o);
      const hours = await deleteInBatches(conn, "DELETE FROM group_stats_hour WHERE hour < UTC_TIMESTAMP() - INTERVAL ? MICROSECOND ORDER BY hour", [hourMicros], o);
      const rebalances = await deleteInBatches(conn, "DELETE FROM rebalance_event WHERE ts < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY ts", [micros], o);
      const seenMsgs = await deleteInBatches(conn, "DELETE FROM dedup_seen_msg WHERE seen_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY seen_at", [micros], o);
      return { elected: true, claims, events, minutes, hours, rebalances, seenMsgs };
    } finally {
      await conn.query("DO RELEASE_LOCK(?)", [lockName]);
    }
  } finally {
    conn.release();
  }
}
