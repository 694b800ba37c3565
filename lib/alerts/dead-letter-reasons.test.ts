/** "Dead letters by reason": per group, the most frequent reason's count in the window; new reasons named. */
import { describe, expect, it } from "vitest";
import { insertEvents } from "@/workers/runtime/src/sql/index";
import { useDashboardDatabase } from "@/test/support/http";
import { uniqueName } from "@/test/support/seed";
import { testRule } from "@/test/support/alerts/fixtures";
import { measureRule } from "./rules";

const ctx = useDashboardDatabase();

async function deadLetters(group: string, n: number, errorClass: string, detail: (i: number) => string, agoMs = 0) {
  await insertEvents(ctx.db.pool, { group, topic: "orders" }, Array.from({ length: n }, (_, i) => ({ kind: "dead_letter" as const, tag: "", key: Buffer.from(`k-${errorClass}-${i}`), msgId: `M-${errorClass}-${i}`, errorClass, detail: detail(i) })));
  if (agoMs) await ctx.db.pool.query("UPDATE dedup_event SET ts = ts - INTERVAL ? SECOND WHERE consumer_group = ? AND error_class = ?", [agoMs / 1000, group, errorClass]);
}

describe("dead_letter_reason rule", () => {
  it("measures the biggest reason group in the window and names reasons not seen before it", async () => {
    const group = uniqueName("dlr");
    await deadLetters(group, 2, "OldError", () => "seen long ago", 3_600_000); // before the window: a known reason
    await deadLetters(group, 3, "OldError", () => "seen long ago");
    await deadLetters(group, 5, "PaymentDeclined", (i) => `card declined for order ${i}`);
    const rule = testRule({ name: "dl by reason", kind: "dead_letter_reason", consumerGroup: group, threshold: 4, windowS: 300 });
    const [m] = await measureRule(ctx.db.pool, rule, new Date(Date.now() + 1000));
    expect(m).toMatchObject({ consumerGroup: group, value: 5, firing: true });
    expect(m.description).toContain("5 × PaymentDeclined: card declined for order <n> (new)");
    expect(m.description).toContain("3 × OldError: seen long ago");
    expect(m.description).not.toContain("seen long ago (new)");
    const [quiet] = await measureRule(ctx.db.pool, { ...rule, threshold: 5 }, new Date(Date.now() + 1000));
    expect(quiet.firing).toBe(false);
  });
});
