import { describe, expect, it } from "vitest";
import { createBatcher } from "../src/claim/batcher";
import { sleep } from "../../../test/support/deliveries";

describe("adaptive batcher", () => {
  it("flushes a lone item at once and batches what piles up while a flush is in flight", async () => {
    const batches: number[][] = [];
    const b = createBatcher(async (items: number[]) => {
      batches.push(items);
      await sleep(30);
      return items.map((i) => i * 10);
    }, { maxBatch: 100, maxInflight: 1 });
    const first = b.submit(1);
    await sleep(5); // first flush is now in flight
    const rest = [2, 3, 4, 5].map((i) => b.submit(i));
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    expect(b.pending()).toBe(0);
  });

  it("sends items submitted in the same tick together, capped at maxBatch", async () => {
    const sizes: number[] = [];
    const b = createBatcher(async (items: number[]) => {
      sizes.push(items.length);
      return items;
    }, { maxBatch: 3, maxInflight: 2 });
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => b.submit(i)));
    expect(sizes.reduce((a, n) => a + n, 0)).toBe(7);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes[0]).toBe(3);
  });

  it("rejects every item of a failed batch and keeps working afterwards", async () => {
    let fail = true;
    const b = createBatcher(async (items: string[]) => {
      if (fail) throw new Error("boom");
      return items;
    }, { maxBatch: 10, maxInflight: 1 });
    const r = await Promise.allSettled([b.submit("a"), b.submit("b")]);
    expect(r.map((x) => x.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await b.submit("c")).toBe("c");
    await b.drain();
  });
});
