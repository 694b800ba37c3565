import { describe, expect, it } from "vitest";
import { seedClaim, seedStats, seedWorker, uniqueName } from "../test/support/seed";
import { parseSamples, sampleValue } from "../test/support/prometheus";
import { useDashboardDatabase } from "../test/support/http";
import { renderMetrics } from "./metrics";

const ctx = useDashboardDatabase();

describe("renderMetrics", () => {
  it("exposes _total counters from group_totals with consumer_group/topic/cause labels and per-group gauges", async () => {
    const g = uniqueName("metrics");
    await seedStats(ctx.db.pool, { group: g, minutesAgo: 1, consumed: 40, producerResend: 2, redelivery: 5 });
    await seedStats(ctx.db.pool, { group: g, minutesAgo: 600, consumed: 60, redelivery: 1 }); // old minutes still count
    await seedWorker(ctx.db.pool, { id: `${g}-w`, group: g, alive: true });
    await seedClaim(ctx.db.pool, { group: g, key: "secret-order-key", msgId: "MSG-SECRET", owner: "gone", leaseExpiredAgoS: 120 });

    const { body, contentType } = await renderMetrics();
    expect(contentType).toContain("text/plain");
    const s = parseSamples(body);
    const value = (name: string, labels: Record<string, string>) => sampleValue(s, name, labels);

    expect(value("dedup_messages_consumed_total", { consumer_group: g, topic: "orders" })).toBe(100);
    expect(value("dedup_duplicate_hits_total", { consumer_group: g, cause: "redelivery" })).toBe(6);
    expect(value("dedup_duplicate_hits_total", { consumer_group: g, cause: "producer_resend" })).toBe(2);
    expect(value("dedup_duplicate_hits_total", { consumer_group: g, cause: "unknown" })).toBe(0);
    expect(value("dedup_stuck_claims", { consumer_group: g })).toBe(1);
    expect(value("dedup_orphaned_claims", { consumer_group: g })).toBe(1);
    expect(value("dedup_stuck_claim_oldest_age_seconds", { consumer_group: g })).toBeGreaterThanOrEqual(119);
    expect(value("dedup_live_workers", { consumer_group: g })).toBe(1);

    expect(body).toContain("# TYPE dedup_duplicate_hits_total counter");
    expect(body).toContain("# TYPE dedup_stuck_claims gauge");
    for (const { name, labels } of s) {
      expect(name.startsWith("dedup_")).toBe(true);
      expect(Object.keys(labels).every((k) => ["consumer_group", "topic", "cause"].includes(k))).toBe(true);
    }
    expect(body).not.toContain("secret-order-key");
    expect(body).not.toContain("MSG-SECRET");
  });
});
