/**
 * Retention: one instance at a time prunes expired rows (sql/prune-expired.ts) — the holder of a
 * named lock after the database, tried without waiting, so the others skip this round.
 */
import type mysql from "mysql2/promise";
import type { Pool } from "../db/pool.js";
import { pruneExpired, withNamedLock, type PruneCounts } from "../sql/index.js";

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

export interface RetentionResult extends PruneCounts {
  /** False when another instance holds the retention lock. */
  elected: boolean;
}

/** Run one retention pass if this instance wins the election; otherwise do nothing. */
export async function runRetention(pool: Pool, opts: RetentionOptions): Promise<RetentionResult> {
  const batches = { batchSize: opts.batchSize ?? 1000, pauseMs: opts.pauseMs ?? 50, maxRows: opts.maxRowsPerTable ?? 1_000_000 };
  // Hour rows outlive minute rows: the long dashboard ranges read them.
  const windows = { retentionMs: opts.retentionMs, hourRetentionMs: Math.max(opts.retentionMs, opts.hourRetentionMs ?? 90 * 86_400_000) };
  const conn = await pool.getConnection();
  try {
    const [[db]] = await conn.query<mysql.RowDataPacket[]>("SELECT DATABASE() AS name");
    const pass = await withNamedLock(conn, `dedup_audit.retention.${String(db?.name)}`, 0, () => pruneExpired(conn, windows, batches));
    return pass.got ? { elected: true, ...pass.value } : { elected: false, claims: 0, events: 0, minutes: 0, hours: 0, rebalances: 0, seenMsgs: 0 };
  } finally {
    conn.release();
  }
}
