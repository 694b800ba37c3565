/**
 * Every copy that reaches its group's last attempt is written down as dead-lettered when the
 * broker moves it to %DLQ%<group> — whatever the answer was — with why it died, and an open claim
 * of its key says so: a handler that kept failing (its error class and secrets-safe message), a
 * copy held for an operator behind an expired claim, and a copy waiting for another holder when
 * its worker stopped. Through the dev broker and the real PushConsumer.
 */
import { describe, expect, it } from "vitest";
import { rows } from "../../../test/support/deliveries";
import { seedClaim, seedWorker } from "../../../test/support/seed";
import { useBrokerTestFile } from "../../../test/support/broker-test-file";
import { sendAll, startBroker, startProducer, TEST_WORKER, waitUntil } from "../../../test/support/broker-harness";
import { createDedupConsumer, type DedupConsumerOptions } from "../src/index";
import type { LeaseHandler } from "../src/types";

const ctx = useBrokerTestFile();
const { cleanup } = ctx;

function consumer(endpoint: string, group: string, topic: string, handler: LeaseHandler, extra: Partial<DedupConsumerOptions> = {}) {
  const c = createDedupConsumer({ group, topic, mode: "lease", handler, endpoints: endpoint, db: ctx.db.pool, leaseS: 2, pollInitialMs: 50, pollMaxMs: 200, ...TEST_WORKER, ...extra } as DedupConsumerOptions);
  cleanup.add(() => c.stop());
  return c;
}

const deadLetters = (group: string) =>
  rows(ctx.db.pool, "SELECT dedup_key, outcome, error_class, detail, delivery_attempt FROM dedup_event WHERE consumer_group = ? AND kind = 'dead_letter'", [group]);

describe("dead letters on every last-attempt path", () => {
  it("a handler that keeps failing: its error class and a secrets-safe message on the releases and on the dead letter", async () => {
    const broker = await startBroker(cleanup);
    const [group, topic] = ["dlp-fail-g", "dlp-fail"];
    broker.admin.setGroupPolicy(group, { maxAttempts: 2, initialS: 1, maxS: 1 });
    class GatewayError extends Error {
      override name = "GatewayError";
    }
    const c = consumer(broker.endpoint, group, topic, async () => {
      throw new GatewayError("POST https://svc:hunter2@pay.example/charge failed\n  password=hunter2 status 502");
    });
    await c.start();
    await sendAll(await startProducer(cleanup, broker.endpoint, [topic]), topic, [{ key: "order-1", body: Buffer.from("{}") }]);
    await waitUntil("dead-lettered", () => broker.admin.groupStats(group, topic).dlq === 1, 20_000);
    await waitUntil("recorded", async () => (await deadLetters(group)).length === 1, 10_000);
    const [dl] = await deadLetters(group);
    expect(dl).toMatchObject({ outcome: "released", error_class: "GatewayError", delivery_attempt: 2 });
    expect(dl.detail).toBe("POST https://***@pay.example/charge failed password=*** status 502");
    const releases = await rows(ctx.db.pool, "SELECT error_class, detail FROM dedup_event WHERE consumer_group = ? AND kind = 'released_on_error'", [group]);
    expect(releases).toHaveLength(2);
    expect(releases.every((r) => r.error_class === "GatewayError" && !String(r.detail).includes("hunter2"))).toBe(true);
  }, 30_000);

  it("a copy held for an operator behind an expired claim: dead-lettered as held, and the claim shows it", async () => {
    const broker = await startBroker(cleanup);
    const [group, topic] = ["dlp-held-g", "dlp-held"];
    broker.admin.setGroupPolicy(group, { maxAttempts: 2, initialS: 1, maxS: 1 });
    await seedWorker(ctx.db.pool, { id: "worker-gone", group, topic, alive: false });
    await seedClaim(ctx.db.pool, { group, topic, key: "order-held", owner: "worker-gone", leaseExpiredAgoS: 30 });
    const ran: string[] = [];
    const c = consumer(broker.endpoint, group, topic, async (m) => void ran.push(m.key.toString()), { policy: "hold", holdWaitS: 0.3 });
    await c.start();
    await sendAll(await startProducer(cleanup, broker.endpoint, [topic]), topic, [{ key: "order-held", body: Buffer.from("{}") }]);
    await waitUntil("dead-lettered", () => broker.admin.groupStats(group, topic).dlq === 1, 20_000);
    await waitUntil("recorded", async () => (await deadLetters(group)).length === 1, 10_000);
    const [dl] = await deadLetters(group);
    expect(dl).toMatchObject({ outcome: "deferred", error_class: "HeldForOperator", delivery_attempt: 2 });
    expect(dl.detail).toMatch(/owner worker-gone.*held for an operator/);
    const [claim] = await rows(ctx.db.pool, "SELECT state, dead_lettered_at FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect(claim.state).toBe("CLAIMED");
    expect(claim.dead_lettered_at).not.toBeNull();
    expect(ran).toEqual([]);
  }, 30_000);

  it("a copy waiting for another holder when its worker stops on the last attempt: dead-lettered as handed back", async () => {
    const broker = await startBroker(cleanup);
    const [group, topic] = ["dlp-wait-g", "dlp-wait"];
    broker.admin.setGroupPolicy(group, { maxAttempts: 1 }); // the first delivery is the last
    await seedWorker(ctx.db.pool, { id: "worker-busy", group, topic, alive: true });
    await seedClaim(ctx.db.pool, { group, topic, key: "order-wait", owner: "worker-busy", leaseExpiredAgoS: -600 }); // lease valid 10 min
    const c = consumer(broker.endpoint, group, topic, async () => {});
    const running = await c.start();
    await sendAll(await startProducer(cleanup, broker.endpoint, [topic]), topic, [{ key: "order-wait", body: Buffer.from("{}") }]);
    await waitUntil("waiting", async () => (await rows(ctx.db.pool, "SELECT 1 FROM dedup_event WHERE consumer_group = ? AND kind = 'inflight' AND outcome = 'waiting'", [group])).length === 1, 20_000);
    await running.stop();
    await waitUntil("dead-lettered", () => broker.admin.groupStats(group, topic).dlq === 1, 20_000);
    const [dl] = await deadLetters(group);
    expect(dl).toMatchObject({ outcome: "stopping", error_class: "WorkerStopping", delivery_attempt: 1 });
    const [claim] = await rows(ctx.db.pool, "SELECT dead_lettered_at FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect(claim.dead_lettered_at).not.toBeNull();
  }, 40_000);
});
