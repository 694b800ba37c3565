/**
 * Sends demo orders: one message per order, keyed by the order id, and a configurable share of
 * producer resends — the same key and body sent again, which the broker stores as a new message
 * with a new msgId (what a producer retry after a lost send receipt does).
 */
import { randomBytes } from "node:crypto";
import type { Producer } from "rocketmq-client-nodejs";
import { DEMO_SKUS, type Order } from "../examples/order";

export interface SendOrdersOptions {
  topic: string;
  /** 0 = until the signal aborts. */
  count: number;
  ratePerS: number;
  resendRatio: number;
  tag?: string;
  signal?: AbortSignal;
  /** Deterministic order ids for tests: `${prefix}-${n}`. */
  prefix?: string;
  onSent?: (e: { order: Order; msgId: string; resend: boolean }) => void;
}

export interface SendOrdersResult {
  orders: number;
  resends: number;
}

export function makeOrder(orderId: string): Order {
  return { orderId, sku: DEMO_SKUS[Math.floor(Math.random() * DEMO_SKUS.length)], qty: 1 + Math.floor(Math.random() * 3), amountCents: 100 + Math.floor(Math.random() * 10_000) };
}

export async function sendOrders(producer: Producer, opts: SendOrdersOptions): Promise<SendOrdersResult> {
  const prefix = opts.prefix ?? `order-${randomBytes(3).toString("hex")}`;
  const intervalMs = 1000 / opts.ratePerS;
  const started = Date.now();
  let orders = 0;
  let resends = 0;
  const send = async (order: Order, resend: boolean) => {
    const receipt = await producer.send({ topic: opts.topic, tag: opts.tag, keys: [order.orderId], body: Buffer.from(JSON.stringify(order)) });
    opts.onSent?.({ order, msgId: receipt.messageId, resend });
  };
  while ((opts.count === 0 || orders < opts.count) && !opts.signal?.aborted) {
    const order = makeOrder(`${prefix}-${orders}`);
    await send(order, false);
    orders++;
    if (Math.random() < opts.resendRatio) {
      await send(order, true);
      resends++;
    }
    const due = started + orders * intervalMs - Date.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
  }
  return { orders, resends };
}
