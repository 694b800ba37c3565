/**
 * Pruning of the webhook outbox: delivered and failed messages whose last attempt is older than
 * WEBHOOK_RETENTION_DAYS go, with their webhook_delivery rows; pending messages never do. Rows are
 * deleted in bounded batches (short autocommit statements, ordered so each one walks an index
 * range), never as one big delete that would hold locks and bloat the undo log. Only the elected
 * evaluator prunes (runner.ts), every RETENTION_INTERVAL_S. The alert history (alert_event) and
 * silences that ended go after the same WEBHOOK_RETENTION_DAYS; an active silence never does.
 */
import type { ResultSetHeader } from "mysql2";
import { config } from "../config";
import { deleteInBatches } from "@dedup-audit/runtime/db";
import { log } from "../log";
import { repeatEvery } from "@dedup-audit/runtime";
import { dbNow, type Pool, type Row } from "./db";

export interface PruneOptions {
  retentionDays?: number;
  /** Rows per DELETE statement. */
  batchSize?: number;
  /** Message batches per run: a large backlog is worked off over several runs. */
  maxBatches?: number;
}

export interface PruneResult {
  messages: number;
  deliveries: number;
  /** Alert history rows (fires, resolves, acknowledgements) and ended silences. */
  events: number;
  silences: number;
  /** True when the run stopped at maxBatches: old rows may be left for the next run. */
  more: boolean;
}

/** History and ended silences older than the cutoff, in bounded deletes walking their ts/ends_at index. */
async function pruneAlertHistory(pool: Pool, cutoff: Date, batchSize: number, maxRows: number): Promise<{ events: number; silences: number }> {
  const events = await deleteInBatches(pool, "DELETE FROM alert_event WHERE ts < ? ORDER BY ts", [cutoff], { batchSize, maxRows });
  const silences = await deleteInBatches(pool, "DELETE FROM alert_silence WHERE ends_at < ? ORDER BY ends_at", [cutoff], { batchSize, maxRows });
  return { events, silences };
}

/**
 * For a delivered or failed message next_attempt_at is when its last attempt ended (delivery.ts
 * writes it with no delay), so "last attempt older than the cutoff" is an index range scan on
 * idx_webhook_msg_due (status, next_attempt_at).
 */
const TERMINAL = ["delivered", "failed"] as const;

export async function pruneWebhookHistory(pool: Pool, opts: PruneOptions = {}): Promise<PruneResult> {
  const retentionDays = opts.retentionDays ?? config().WEBHOOK_RETENTION_DAYS;
  const batchSize = opts.batchSize ?? 1000;
  const maxBatches = opts.maxBatches ?? 20;
  const cutoff = new Date((await dbNow(pool)).getTime() - retentionDays * 86_400_000);
  const result: PruneResult = { messages: 0, deliveries: 0, ...(await pruneAlertHistory(pool, cutoff, batchSize, batchSize * maxBatches)), more: false };
  let batches = 0;
  for (const status of TERMINAL) {
    for (;;) {
      if (batches >= maxBatches) return { ...result, more: true };
      const [rows] = await pool.query<Row[]>(
        "SELECT id FROM webhook_message WHERE status = ? AND next_attempt_at < ? ORDER BY next_attempt_at LIMIT ?",
        [status, cutoff, batchSize],
      );
      if (rows.length === 0) break;
      batches++;
      const ids = rows.map((r) => String(r.id));
      // Attempts first, in their own bounded deletes: the foreign key's cascade would otherwise
      // remove up to WEBHOOK_MAX_ATTEMPTS rows per message inside the message delete.
      result.deliveries += await deleteInBatches(pool, "DELETE FROM webhook_delivery WHERE message_id IN (?) ORDER BY id", [ids], { batchSize });
      // The status is checked again: nothing may make a finished message pending, but if it ever did, it stays.
      const [r] = await pool.query<ResultSetHeader>("DELETE FROM webhook_message WHERE id IN (?) AND status = ?", [ids, status]);
      result.messages += r.affectedRows;
      if (rows.length < batchSize) break;
    }
  }
  return result;
}

export interface RunningPruner {
  /** Prune now if this instance leads (tests); resolves with what was deleted, or undefined. */
  run(): Promise<PruneResult | undefined>;
  stop(): Promise<void>;
}

export interface PrunerOptions extends PruneOptions {
  pool: Pool;
  /** Only the elected evaluator prunes. */
  isLeader: () => boolean;
  /** Seconds between runs; 0 disables (default RETENTION_INTERVAL_S). */
  intervalS?: number;
}

/** Prune every interval while leading; one run at a time; a failed run is logged and retried next interval. */
export function startWebhookPruner(opts: PrunerOptions): RunningPruner {
  const intervalS = opts.intervalS ?? config().RETENTION_INTERVAL_S;
  const prune = async (): Promise<PruneResult | undefined> => {
    if (!opts.isLeader()) return undefined;
    const r = await pruneWebhookHistory(opts.pool, opts);
    if (r.messages > 0 || r.events > 0 || r.silences > 0) log.info(r, "pruned old webhook messages and alert history");
    return r;
  };
  const loop = repeatEvery(intervalS * 1000, prune, { onError: (err) => log.warn({ err }, "webhook pruning failed; retrying next interval") });
  return { run: loop.runNow, stop: loop.stop };
}
