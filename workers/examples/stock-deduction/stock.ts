/**
 * Stock deduction, transactional mode (the example from the original notes): decrement stock once
 * per order key. The UPDATE runs on the transaction the runtime hands in, so the claim, the
 * decrement and the ledger row commit together — or not at all.
 */
import type { Pool } from "@dedup-audit/runtime/db";
import type { KeyedDelivery, TransactionalContext } from "@dedup-audit/runtime";
import { DEMO_SKUS, parseOrder, simulateWork } from "../order";

/** The example's own business tables (not part of the product schema). */
export async function ensureStockTables(pool: Pool, initialQty = 1_000_000_000): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS demo_stock (
       sku VARCHAR(64) NOT NULL PRIMARY KEY,
       qty BIGINT NOT NULL
     ) ENGINE=InnoDB`,
  );
  // No unique key on order_key on purpose: a double effect would show up as two rows.
  await pool.query(
    `CREATE TABLE IF NOT EXISTS demo_stock_ledger (
       id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
       consumer_group VARCHAR(255) NOT NULL,
       order_key VARBINARY(512) NOT NULL,
       sku VARCHAR(64) NOT NULL,
       qty INT NOT NULL,
       msg_id VARCHAR(128) NOT NULL,
       applied_at DATETIME(3) NOT NULL,
       KEY idx_ledger_key (order_key)
     ) ENGINE=InnoDB`,
  );
  await pool.query(`INSERT IGNORE INTO demo_stock (sku, qty) VALUES ${DEMO_SKUS.map(() => "(?, ?)").join(",")}`, DEMO_SKUS.flatMap((s) => [s, initialQty]));
}

export class OutOfStockError extends Error {
  constructor(readonly sku: string) {
    super(`out of stock: ${sku}`);
    this.name = "OutOfStockError";
  }
}

export function createStockHandler(group: string, opts: { delayMs?: number; failureRatio?: number } = {}) {
  return async function deductStock(message: KeyedDelivery, ctx: TransactionalContext): Promise<void> {
    const order = parseOrder(message.body);
    await simulateWork(opts.delayMs ?? 0, opts.failureRatio ?? 0, ctx.signal);
    const [res] = await ctx.tx.query<import("mysql2").ResultSetHeader>("UPDATE demo_stock SET qty = qty - ? WHERE sku = ? AND qty >= ?", [order.qty, order.sku, order.qty]);
    // Throwing rolls back this message's savepoint and releases its claim: the broker retries it.
    if (res.affectedRows !== 1) throw new OutOfStockError(order.sku);
    await ctx.tx.query(
      "INSERT INTO demo_stock_ledger (consumer_group, order_key, sku, qty, msg_id, applied_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3))",
      [group, message.key, order.sku, order.qty, message.msgId],
    );
  };
}
