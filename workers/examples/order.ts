/** The demo order message shared by the demo producer and the example workers. */
import { z } from "zod";

export const orderSchema = z.object({
  orderId: z.string().min(1),
  sku: z.string().min(1),
  qty: z.number().int().positive(),
  amountCents: z.number().int().nonnegative(),
});

export type Order = z.infer<typeof orderSchema>;

export const DEMO_SKUS = ["sku-apple", "sku-pear", "sku-plum", "sku-fig", "sku-kiwi"];

export function parseOrder(body: Buffer): Order {
  return orderSchema.parse(JSON.parse(body.toString("utf8")));
}

/** Simulated work time and failures for demos (DEMO_HANDLER_DELAY_MS, DEMO_FAILURE_RATIO). */
export async function simulateWork(delayMs: number, failureRatio: number, signal?: AbortSignal): Promise<void> {
  if (delayMs > 0) {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, delayMs);
      signal?.addEventListener("abort", () => {
        clearTimeout(t);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      }, { once: true });
    });
  }
  if (failureRatio > 0 && Math.random() < failureRatio) throw new Error("simulated downstream failure");
}
