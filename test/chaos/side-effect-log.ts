/**
 * The external side effect of the lease-mode chaos run: every time a handler "calls the outside
 * world" it appends a row here (autocommit, outside any claim transaction), with the key, the
 * fence it ran under and the worker. Nothing deduplicates this table, so a key with two rows is a
 * double effect — and the fences say whether each extra run happened under a takeover.
 */
import type { Pool } from "@dedup-audit/runtime/db";
import type { HandlerContext, KeyedDelivery } from "@dedup-audit/runtime";
import { createPaymentHandler } from "../../workers/examples/payment-status/payment";

export async function ensureSideEffectTable(pool: Pool): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS chaos_side_effect (
       id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
       consumer_group VARCHAR(255) NOT NULL,
       order_key VARBINARY(512) NOT NULL,
       fence BIGINT NOT NULL,
       worker VARCHAR(128) NOT NULL,
       msg_id VARCHAR(128) NOT NULL,
       applied_at DATETIME(3) NOT NULL,
       KEY idx_side_effect_key (consumer_group, order_key)
     ) ENGINE=InnoDB`,
  );
}

/**
 * The payment-status example's handler with the side effect in front of it. The example's
 * simulated work runs after the effect, so a SIGKILL often lands between effect and commit —
 * the one window where lease mode may run an effect twice.
 */
export function createSideEffectHandler(pool: Pool, group: string, workerId: () => string, opts: { delayMs?: number } = {}) {
  const pay = createPaymentHandler(pool, group, { delayMs: opts.delayMs });
  return async function applyWithSideEffect(message: KeyedDelivery, ctx: HandlerContext): Promise<void> {
    await pool.query(
      "INSERT INTO chaos_side_effect (consumer_group, order_key, fence, worker, msg_id, applied_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3))",
      [group, message.key, ctx.fence, workerId(), message.msgId],
    );
    await pay(message, ctx);
  };
}
