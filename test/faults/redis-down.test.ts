/**
 * With the Redis fast path on, Redis dying mid-run (SIGKILL) does not stop or weaken
 * deduplication — the workers keep consuming on MariaDB alone, producer resends that arrive
 * during the outage are still recognised as duplicates, nothing is lost and every order's effect
 * happens exactly once. Uses a private redis-server on a free port (private-redis.ts); the shared
 * Redis on 6379 is not touched.
 */
import { describe, expect, it } from "vitest";
import { rows } from "../support/deliveries";
import { useBrokerTestFile } from "../support/broker-test-file";
import { logCauseAgreement } from "../../workers/dev-broker/cause-agreement";
import { sleep, startBroker, startProducer, waitUntil } from "../support/broker-harness";
import { checkStockLedger } from "../chaos/check-ledger";
import { planOrders, seedExactStock, sendPlan } from "../chaos/order-plan";
import { createRng } from "../chaos/random";
import { startPrivateRedis } from "../support/private-redis";
import { stockFleet, waitSettled } from "./stock-scenario";

const ctx = useBrokerTestFile({ teardownTimeoutMs: 60_000 });
const { cleanup } = ctx;

describe("Redis stopped while the Redis fast path is on", () => {
  it("keeps consuming on MariaDB alone: duplicates still caught, nothing lost, effects exactly once", async () => {
    const redis = await startPrivateRedis(cleanup);
    const plan = planOrders({ rng: createRng(11), prefix: "rds", count: 1000, spreadMs: 20_000, resendRatio: 0.2, maxResendDelayMs: 1_000, skuCount: 64 });
    await seedExactStock(ctx.db.pool, plan);
    const broker = await startBroker(cleanup, { dropAckRatio: 0.03 });
    const topic = "orders-redis";
    const group = "stock-redis-down";
    broker.admin.createTopic(topic, 4);
    const fleet = stockFleet(cleanup, { databaseUrl: ctx.db.url, broker, topic, group, env: { REDIS_FAST_PATH: "true", REDIS_URL: redis.url } });
    fleet.spawn();
    fleet.spawn();
    await fleet.waitRegistered(ctx.db.pool, group, 60_000);
    await sleep(1_500); // first QueryAssignment of the push consumers

    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const sending = sendPlan(producer, topic, plan.sends);
    const stats = () => broker.admin.groupStats(group, topic);
    await waitUntil("workers consuming", () => stats().acked >= 200, 30_000);
    // The fast path really is in use: in-flight guards were set in our Redis.
    expect(await redis.commandCalls("set")).toBeGreaterThan(100);

    await redis.crash();
    const [{ t: downAt }] = await rows(ctx.db.pool, "SELECT UTC_TIMESTAMP(3) AS t");
    const ackedAtCrash = stats().acked;
    await waitUntil("consumption continues without Redis", () => stats().acked >= ackedAtCrash + 300, 40_000);
    expect(fleet.crashed().map((p) => p.output())).toEqual([]);

    await sending.finished;
    await waitSettled(broker, group, topic, plan.sends.length, 60_000);
    expect(stats().dlq).toBe(0);
    const stops = await fleet.stopAll(30_000);
    expect(stops).toEqual({ graceful: 2, forced: 0 });

    await logCauseAgreement(ctx.db.pool, broker.admin, group); // duplicate causes vs the broker's truth, in the log
    const ledger = await checkStockLedger(ctx.db.pool, group, plan.orders, plan.stock);
    expect(ledger.violations).toEqual([]);
    expect({ doubleEffects: ledger.doubleEffects, lost: ledger.lost }).toEqual({ doubleEffects: 0, lost: 0 });
    // Dedup did not degrade to "no dedup": resends consumed after Redis died were caught by MariaDB.
    const [after] = await rows(ctx.db.pool, "SELECT COUNT(*) AS n FROM dedup_event WHERE consumer_group = ? AND kind = 'duplicate' AND cause = 'producer_resend' AND ts > ?", [group, downAt]);
    expect(Number(after.n)).toBeGreaterThan(0);
  }, 90_000);
});
