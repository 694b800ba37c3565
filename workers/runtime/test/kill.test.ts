/**
 * A lease-mode worker process SIGKILLed mid-handler:
 *  - its claim shows as stuck (lease ran out) and orphaned (owner dead in the registry, timeout
 *    recorded as a rebalance event);
 *  - policy `takeover`: the broker's redelivery reaches a survivor, which takes the claim over
 *    (fence + 1) and finishes it — cause rebalance_replay;
 *  - policy `hold`: the survivor's copy waits and the claim stays until an operator releases it;
 *    then the waiting copy completes.
 */
import { describe, expect, it } from "vitest";
import { releaseClaimIfFence } from "../src/operator";
import { eventCounts, rows } from "../../../test/support/deliveries";
import { logCauseAgreement } from "../../dev-broker/cause-agreement";
import { createPaymentHandler, ensurePaymentTables } from "../../examples/payment-status/payment";
import { createDedupConsumer } from "../src/index";
import { useBrokerTestFile } from "../../../test/support/broker-test-file";
import { sendAll, sleep, spawnWorker, startBroker, startProducer, TEST_WORKER, waitUntil } from "../../../test/support/broker-harness";

const ctx = useBrokerTestFile({ prepare: (db) => ensurePaymentTables(db.pool) });
const { cleanup } = ctx;

const LEASE_S = 2;

describe("SIGKILL mid-handler in lease mode", () => {
  it("leaves a stuck, orphaned claim; takeover finishes it (rebalance_replay); hold waits for an operator", async () => {
    const broker = await startBroker(cleanup, { heartbeatTimeoutS: 2 });
    const topic = "payments-kill";
    broker.admin.createTopic(topic, 1);
    const groups = { takeover: "pay-takeover", hold: "pay-hold" } as const;
    const env = (group: string) => ({
      DATABASE_URL: ctx.db.url,
      ROCKETMQ_ENDPOINTS: broker.endpoint,
      DEMO_TOPIC: topic,
      DEMO_GROUP: group,
      DEMO_HANDLER_DELAY_MS: "600000", // never finishes before the kill
      LEASE_S: String(LEASE_S),
      HEARTBEAT_S: "0.5",
      WORKER_TIMEOUT_S: "2",
      RETENTION_INTERVAL_S: "0",
      FLUSH_INTERVAL_S: "1",
    });
    const victims = Object.values(groups).map((g) => ({ group: g, proc: spawnWorker(cleanup, "workers/examples/payment-status/main.ts", env(g)) }));
    for (const v of victims) {
      await waitUntil(`${v.group} worker registered`, async () => (await rows(ctx.db.pool, "SELECT id FROM worker_instance WHERE consumer_group = ? AND state = 'live'", [v.group])).length === 1, 30_000)
        .catch((err) => { throw new Error(`${err}\n${v.proc.stderr()}`); });
    }
    await sleep(1_500); // first QueryAssignment of the push consumers
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const body = Buffer.from(JSON.stringify({ orderId: "k-1", sku: "s", qty: 1, amountCents: 990 }));
    const [msgId] = await sendAll(producer, topic, [{ key: "k-1", body }]);
    await waitUntil("both victims claimed k-1", async () => (await rows(ctx.db.pool, "SELECT id FROM dedup_claim WHERE state = 'CLAIMED'")).length === 2, 20_000);
    const victimIds = new Map<string, string>();
    for (const v of victims) victimIds.set(v.group, String((await rows(ctx.db.pool, "SELECT id FROM worker_instance WHERE consumer_group = ?", [v.group]))[0].id));

    for (const v of victims) v.proc.child.kill("SIGKILL");
    await Promise.all(victims.map((v) => v.proc.exited));
    await sleep(LEASE_S * 1000 + 300);

    // Stuck (lease over) and orphaned (owner's heartbeat older than the worker timeout).
    const stuck = await rows(
      ctx.db.pool,
      `SELECT c.consumer_group, c.owner, w.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL 2 SECOND AS owner_silent
         FROM dedup_claim c JOIN worker_instance w ON w.id = c.owner
        WHERE c.state = 'CLAIMED' AND c.lease_until < UTC_TIMESTAMP(3) ORDER BY c.consumer_group`,
    );
    expect(stuck.map((r) => [r.consumer_group, Number(r.owner_silent)])).toEqual([[groups.hold, 1], [groups.takeover, 1]]);

    const effects: Record<string, number> = { [groups.takeover]: 0, [groups.hold]: 0 };
    const survivors = (["takeover", "hold"] as const).map((policy) => {
      const group = groups[policy];
      const c = createDedupConsumer({
        group,
        topic,
        mode: "lease",
        policy,
        handler: createPaymentHandler(ctx.db.pool, group, { onResult: (r) => r === "paid" && effects[group]++ }),
        endpoints: broker.endpoint,
        db: ctx.db.pool,
        leaseS: LEASE_S,
        workerTimeoutS: 2,
        holdWaitS: 60,
        pollInitialMs: 50,
        pollMaxMs: 200,
        ...TEST_WORKER,
      });
      cleanup.add(() => c.stop());
      return c;
    });
    await Promise.all(survivors.map((s) => s.start()));

    // takeover: the redelivery (attempt 2, after the broker missed the victim's heartbeats) finishes it.
    await waitUntil("takeover group done", async () => (await rows(ctx.db.pool, "SELECT id FROM dedup_claim WHERE consumer_group = ? AND state = 'DONE'", [groups.takeover])).length === 1, 20_000);
    const [taken] = await rows(ctx.db.pool, "SELECT owner, fence, first_msg_id FROM dedup_claim WHERE consumer_group = ?", [groups.takeover]);
    expect({ owner: taken.owner, fence: Number(taken.fence), first: taken.first_msg_id }).toEqual({ owner: survivors[0].workerId, fence: 2, first: msgId });
    // The duplicate hit is written after the fenced commit, so DONE can be seen a moment before it.
    await waitUntil("takeover hit recorded", async () => (await eventCounts(ctx.db.pool, groups.takeover))["rerun/rebalance_replay/took_over"] !== undefined, 10_000);
    const evT = await eventCounts(ctx.db.pool, groups.takeover);
    expect(evT["takeover/rebalance_replay"]).toBe(1);
    expect(evT["rerun/rebalance_replay/took_over"]).toBe(1);
    expect(effects[groups.takeover]).toBe(1);

    // Both victims' heartbeat timeouts were recorded as rebalance events (once each).
    await waitUntil("timeouts recorded", async () => (await rows(ctx.db.pool, "SELECT id FROM rebalance_event WHERE kind = 'timeout'")).length === 2, 10_000);
    const timeouts = await rows(ctx.db.pool, "SELECT consumer_group, worker_id FROM rebalance_event WHERE kind = 'timeout' ORDER BY consumer_group");
    expect(timeouts.map((t) => [t.consumer_group, t.worker_id])).toEqual([[groups.hold, victimIds.get(groups.hold)], [groups.takeover, victimIds.get(groups.takeover)]]);

    // hold: the copy waits; nothing runs, the claim stays with the dead owner…
    await waitUntil("hold copy noticed the expiry", async () => (await eventCounts(ctx.db.pool, groups.hold))["expiry/held"] === 1, 20_000);
    await sleep(1_000);
    const [held] = await rows(ctx.db.pool, "SELECT id, state, owner, fence FROM dedup_claim WHERE consumer_group = ?", [groups.hold]);
    expect([held.state, held.owner]).toEqual(["CLAIMED", victimIds.get(groups.hold)]);
    expect(effects[groups.hold]).toBe(0);
    expect(broker.admin.groupStats(groups.hold, topic).acked).toBe(0);
    // …until an operator releases it; then the waiting copy completes.
    expect(await releaseClaimIfFence(ctx.db.pool, Number(held.id), Number(held.fence))).toBe(true);
    await waitUntil("hold group done", () => broker.admin.groupStats(groups.hold, topic).acked === 1, 20_000);
    expect(effects[groups.hold]).toBe(1);
    const evH = await eventCounts(ctx.db.pool, groups.hold);
    expect(evH["rerun/rebalance_replay/claimed_after_release"]).toBe(1);
    // The broker's own record agrees: each hit was a copy it re-sent because its holder died.
    for (const g of Object.values(groups)) {
      const truth = await logCauseAgreement(ctx.db.pool, broker.admin, g);
      expect(Object.fromEntries(Object.entries(truth.matrix).filter(([, v]) => Object.keys(v).length > 0))).toEqual({ expired_holder_dead: { rebalance_replay: 1 } });
    }
    const [pay] = await rows(ctx.db.pool, "SELECT SUM(status) s, SUM(transitions) t FROM demo_payment");
    expect([Number(pay.s), Number(pay.t)]).toEqual([2, 2]);
  }, 120_000);
});
