/**
 * One retention pass: DONE claims past their expire_at; events, minute rollups, rebalance events
 * and the msgIds and refused acks written down for duplicate causes older than the window; hour rollups older
 * than their own (longer) window. Each table in bounded `DELETE … ORDER BY … LIMIT` batches
 * (short transactions, a pause between them) so consumers are never blocked. With `fence`, each
 * batch runs in a transaction that proves the caller still holds its singleton lease. Totals are
 * never pruned.
 */
import { deleteInBatches, intervalMicros, type Conn } from "../db/pool.js";

export interface PruneWindows {
  retentionMs: number;
  hourRetentionMs: number;
}

export interface PruneCounts {
  claims: number;
  events: number;
  minutes: number;
  hours: number;
  rebalances: number;
  seenMsgs: number;
  refusedAcks: number;
}

export async function pruneExpired(conn: Conn, windows: PruneWindows, batches: { batchSize: number; pauseMs: number; maxRows: number; fence?: (conn: Conn) => Promise<void> }): Promise<PruneCounts> {
  const micros = intervalMicros(windows.retentionMs);
  const hourMicros = intervalMicros(windows.hourRetentionMs);
  const older = (sql: string, params: unknown[] = []) => deleteInBatches(conn, sql, params, batches);
  return {
    claims: await older("DELETE FROM dedup_claim WHERE expire_at < UTC_TIMESTAMP(3) AND state = 'DONE' ORDER BY expire_at"),
    events: await older("DELETE FROM dedup_event WHERE ts < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY ts", [micros]),
    minutes: await older("DELETE FROM group_stats_minute WHERE minute < UTC_TIMESTAMP() - INTERVAL ? MICROSECOND ORDER BY minute", [micros]),
    hours: await older("DELETE FROM group_stats_hour WHERE hour < UTC_TIMESTAMP() - INTERVAL ? MICROSECOND ORDER BY hour", [hourMicros]),
    rebalances: await older("DELETE FROM rebalance_event WHERE ts < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY ts", [micros]),
    seenMsgs: await older("DELETE FROM dedup_seen_msg WHERE seen_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY seen_at", [micros]),
    refusedAcks: await older("DELETE FROM dedup_ack_refused WHERE refused_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY refused_at", [micros]),
  };
}
