/**
 * Payment status, lease mode: the classic state-machine update `… SET status = 1 WHERE
 * status = 0`, run outside the claim's transaction (as an effect in another store would be).
 * Affected rows say what happened: 1 = this delivery paid the order, 0 = it was already paid.
 * The dedup lease keeps a second copy from even getting here while the first runs.
 */
import type { Pool } from "@dedup-audit/runtime/db";
import type { HandlerContext, KeyedDelivery } from "@dedup-audit/runtime";
import { parseOrder, simulateWork } from "../order";

export async function ensurePaymentTables(pool: Pool): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS demo_payment (
       consumer_group VARCHAR(255) NOT NULL,
       order_key VARBINARY(512) NOT NULL,
       amount_cents BIGINT NOT NULL,
       status TINYINT NOT NULL DEFAULT 0,
       transitions INT NOT NULL DEFAULT 0,
       paid_at DATETIME(3) NULL,
       PRIMARY KEY (consumer_group, order_key)
     ) ENGINE=InnoDB`,
  );
}

export type PaymentResult = "paid" | "already_paid";

export function createPaymentHandler(pool: Pool, group: string, opts: { delayMs?: number; failureRatio?: number; onResult?: (r: PaymentResult, m: KeyedDelivery) => void } = {}) {
  return async function markPaid(message: KeyedDelivery, ctx: HandlerContext): Promise<void> {
    const order = parseOrder(message.body);
    await pool.query("INSERT IGNORE INTO demo_payment (consumer_group, order_key, amount_cents) VALUES (?, ?, ?)", [group, message.key, order.amountCents]);
    await simulateWork(opts.delayMs ?? 0, opts.failureRatio ?? 0, ctx.signal);
    const [res] = await pool.query<import("mysql2").ResultSetHeader>(
      "UPDATE demo_payment SET status = 1, transitions = transitions + 1, paid_at = UTC_TIMESTAMP(3) WHERE consumer_group = ? AND order_key = ? AND status = 0",
      [group, message.key],
    );
    opts.onResult?.(res.affectedRows === 1 ? "paid" : "already_paid", message);
  };
}
