/**
 * The orders a chaos or fault run sends, planned up front from a seed: one message per order,
 * spread evenly over the run, and a share of producer resends (same key and body, a new msgId)
 * sent a little later, as a producer retrying after a lost send receipt does. Knowing every order
 * before the run lets the stock be sized exactly: after an exactly-once run every SKU is at 0, and
 * a double effect shows up as an order that could not be served.
 */
import type { Producer } from "rocketmq-client-nodejs";
import type { Pool } from "@dedup-audit/runtime/db";
import type { Order } from "../../workers/examples/order";
import { ensureStockTables } from "../../workers/examples/stock-deduction/stock";
import type { Rng } from "./random";

export interface PlannedSend {
  key: string;
  body: Buffer;
  /** Offset from the start of sending, ms. */
  atMs: number;
  resend: boolean;
}

export interface OrderPlan {
  orders: Order[];
  sends: PlannedSend[];
  /** Exact stock per SKU: the sum of its orders' quantities. */
  stock: Map<string, number>;
}

export interface PlanOptions {
  rng: Rng;
  prefix: string;
  count: number;
  /** Sends are spread over this long. */
  spreadMs: number;
  resendRatio: number;
  skuCount: number;
  /** A resend goes out this long after its original, at most (random, not beyond spreadMs). */
  maxResendDelayMs?: number;
}

export function planOrders(o: PlanOptions): OrderPlan {
  const skus = Array.from({ length: o.skuCount }, (_, i) => `${o.prefix}-sku-${i}`);
  const orders: Order[] = [];
  const sends: PlannedSend[] = [];
  const stock = new Map<string, number>();
  for (let i = 0; i < o.count; i++) {
    const order: Order = { orderId: `${o.prefix}-${i}`, sku: o.rng.pick(skus), qty: o.rng.int(1, 3), amountCents: o.rng.int(100, 10_000) };
    orders.push(order);
    stock.set(order.sku, (stock.get(order.sku) ?? 0) + order.qty);
    const body = Buffer.from(JSON.stringify(order));
    const atMs = Math.floor((i * o.spreadMs) / o.count);
    sends.push({ key: order.orderId, body, atMs, resend: false });
    if (o.rng.next() < o.resendRatio) {
      const later = Math.min(o.spreadMs, atMs + Math.floor(o.rng.between(0, o.maxResendDelayMs ?? 5_000)));
      sends.push({ key: order.orderId, body, atMs: later, resend: true });
    }
  }
  sends.sort((a, b) => a.atMs - b.atMs);
  return { orders, sends, stock };
}

/** The stock-deduction example's tables, with exactly the plan's stock on its SKUs. */
export async function seedExactStock(pool: Pool, plan: OrderPlan): Promise<void> {
  await ensureStockTables(pool);
  const stock = [...plan.stock];
  await pool.query(`INSERT INTO demo_stock (sku, qty) VALUES ${stock.map(() => "(?, ?)").join(",")}`, stock.flat());
}

export interface SendProgress {
  sent: number;
  resent: number;
  /** Sends that failed and were sent again (each a possible extra copy on the broker). */
  retried: number;
  done: boolean;
}

/**
 * Send the plan on schedule with `parallel` sends in flight. A failed send is retried: the broker
 * may have stored the first attempt, so a retry is one more producer resend (that is what they are).
 */
export function sendPlan(producer: Producer, topic: string, sends: PlannedSend[], parallel = 8): { progress: SendProgress; finished: Promise<SendProgress> } {
  const progress: SendProgress = { sent: 0, resent: 0, retried: 0, done: false };
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < sends.length) {
      const s = sends[next++];
      const due = started + s.atMs - Date.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send({ topic, keys: [s.key], body: s.body });
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          progress.retried++;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
      progress.sent++;
      if (s.resend) progress.resent++;
    }
  };
  const finished = Promise.all(Array.from({ length: parallel }, lane)).then(() => {
    progress.done = true;
    return progress;
  });
  return { progress, finished };
}
