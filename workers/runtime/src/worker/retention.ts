/**
 * Retention: one instance at a time prunes expired rows (sql/prune-expired.ts) — the holder of
 * the `retention` singleton lease (worker/singleton.ts; GET_LOCK is not replicated by Galera),
 * tried without waiting, so the others skip this round. Each delete batch proves the fence in
 * its own transaction, so a pass whose lease was taken over deletes nothing more.
 */
import type { Pool } from "../db/pool.js";
import { pruneExpired, type PruneCounts } from "../sql/index.js";
import { newHolderId, withSingletonLease } from "./singleton.js";

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

export interface RetentionResult extends PruneCounts {
  /** False when another instance holds the retention lease. */
  elected: boolean;
}

/** Run one retention pass if this instance wins the election; otherwise do nothing. */
export async function runRetention(pool: Pool, opts: RetentionOptions): Promise<RetentionResult> {
  // Hour rows outlive minute rows: the long dashboard ranges read them.
  const windows = { retentionMs: opts.retentionMs, hourRetentionMs: Math.max(opts.retentionMs, opts.hourRetentionMs ?? 90 * 86_400_000) };
  const conn = await pool.getConnection();
  try {
    const run = { waitMs: 0, leaseMs: RETENTION_LEASE_MS, holder: opts.holder ?? RETENTION_HOLDER };
    const pass = await withSingletonLease(conn, "retention", run, (fence) =>
      pruneExpired(conn, windows, { batchSize: opts.batchSize ?? 1000, pauseMs: opts.pauseMs ?? 50, maxRows: opts.maxRowsPerTable ?? 1_000_000, fence }),
    );
    return pass.got ? { elected: true, ...pass.value } : { elected: false, claims: 0, events: 0, minutes: 0, hours: 0, rebalances: 0, seenMsgs: 0, refusedAcks: 0 };
  } finally {
    conn.release();
  }
}
