/**
 * "No live worker" with a REAL worker process: the group's only worker — the payment-status
 * example, a real dedup consumer against a dev broker — is SIGKILLed; "no live worker" fires once
 * (not before the worker timeout), then a new worker process joins and it resolves once. Both
 * notifications reach a real HTTP receiver on 127.0.0.1 in Alertmanager shape, Standard-Webhooks
 * signed. The evaluator and delivery loop run in-process (runner.ts) with short intervals.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanup, spawnWorker, startBroker, waitUntil } from "../../test/support/broker-harness";
import { createTestDatabase, type TestDatabase } from "../../test/support/db";
import { resetConfigForTests } from "../config";
import { createPrisma, type PrismaClient } from "../db/prisma";
import type { Row } from "./db";
import { createEndpoint } from "./endpoint-store";
import { alertmanagerPayloadSchema, ZERO_TIME, type AlertmanagerPayload } from "./payload";
import { createRule } from "./rule-store";
import { runAlerts } from "./runner";
import { startReceiver, type ReceivedRequest, type Receiver } from "../../test/support/alerts/receiver";

const WORKER_TIMEOUT_S = 3;
const HEARTBEAT_S = 0.5;
const GROUP = "alert-real-payments";
const TOPIC = "alert-real-orders";

let db: TestDatabase;
let prisma: PrismaClient;
let receiver: Receiver;
const cleanup = new Cleanup();
const savedAllow = process.env.WEBHOOK_ALLOW_NETWORKS;

beforeAll(async () => {
  // The delivery path reads its SSRF allowance from config, as in production; tests allow loopback only.
  process.env.WEBHOOK_ALLOW_NETWORKS = "loopback";
  resetConfigForTests();
  db = await createTestDatabase();
  prisma = createPrisma(db.url);
  receiver = await startReceiver();
});

afterAll(async () => {
  await cleanup.run();
  await prisma?.$disconnect();
  await receiver?.close();
  await db?.drop();
  if (savedAllow === undefined) delete process.env.WEBHOOK_ALLOW_NETWORKS;
  else process.env.WEBHOOK_ALLOW_NETWORKS = savedAllow;
  resetConfigForTests();
});

async function count(sql: string, args: unknown[] = []): Promise<number> {
  const [[r]] = await db.pool.query<Row[]>(sql, args);
  return Number(r.n);
}

const liveWorkers = () => count("SELECT COUNT(*) AS n FROM worker_instance WHERE consumer_group = ? AND state = 'live' AND heartbeat_at > UTC_TIMESTAMP(3) - INTERVAL 2 SECOND", [GROUP]);
const outboxRows = () => count("SELECT COUNT(*) AS n FROM webhook_message");
const undelivered = () => count("SELECT COUNT(*) AS n FROM webhook_message WHERE status <> 'delivered'");

/** Evaluate `n` more times (explicit ticks, not sleeps), then let the delivery loop drain. */
async function evaluateTimes(alerts: Awaited<ReturnType<typeof runAlerts>>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await alerts.evaluator.tick();
  await waitUntil("outbox drained", async () => (await undelivered()) === 0, 15_000);
}

function verify(req: ReceivedRequest, secret: string): AlertmanagerPayload {
  // Throws unless webhook-signature is v1,HMAC-SHA256(id.timestamp.body) under this secret.
  return alertmanagerPayloadSchema.parse(new Webhook(secret).verify(req.body, req.headers));
}

describe("no live worker, with real worker processes", () => {
  it("fires once after the only worker is SIGKILLed and resolves once when a new worker joins", async () => {
    const broker = await startBroker(cleanup, { heartbeatTimeoutS: 2 });
    broker.admin.createTopic(TOPIC, 1);
    const env = {
      DATABASE_URL: db.url,
      ROCKETMQ_ENDPOINTS: broker.endpoint,
      DEMO_TOPIC: TOPIC,
      DEMO_GROUP: GROUP,
      LEASE_S: "3",
      HEARTBEAT_S: String(HEARTBEAT_S),
      WORKER_TIMEOUT_S: String(WORKER_TIMEOUT_S),
      RETENTION_INTERVAL_S: "0",
      FLUSH_INTERVAL_S: "1",
      REDIS_FAST_PATH: "false",
    };
    const first = spawnWorker(cleanup, "workers/examples/payment-status/main.ts", env);
    await waitUntil("first worker registered", async () => (await liveWorkers()) === 1, 40_000).catch((err) => {
      throw new Error(`${err}\n${first.stderr()}`);
    });

    const { secret } = await createEndpoint({ name: "oncall", url: receiver.url }, "test", { db: prisma });
    await createRule({ name: "Payments need a worker", kind: "no_live_worker", consumerGroup: GROUP, threshold: 0, windowS: WORKER_TIMEOUT_S, severity: "critical" }, "test", prisma);
    const alerts = await runAlerts({ pool: db.pool, evalIntervalS: 0.5, pollIntervalS: 0.1, defaults: false, baseUrl: "http://dash.test" });
    cleanup.add(() => alerts.stop());
    await waitUntil("evaluator elected", () => alerts.evaluator.isLeader(), 10_000);

    // While the worker heart-beats, evaluations send nothing.
    await evaluateTimes(alerts, 3);
    expect(await outboxRows()).toBe(0);
    expect(receiver.requests).toHaveLength(0);

    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await first.exited;

    const [firingReq] = await receiver.waitFor(1, 30_000);
    // Not before the worker timeout: the dead worker's last heartbeat must first grow older than it.
    expect(firingReq.at - killedAt).toBeGreaterThanOrEqual((WORKER_TIMEOUT_S - 2 * HEARTBEAT_S) * 1000);
    const firing = verify(firingReq, secret);
    expect(firing).toMatchObject({
      version: "4",
      status: "firing",
      receiver: "oncall",
      groupLabels: { consumer_group: GROUP },
      commonLabels: { alertname: "DedupNoLiveWorker", consumer_group: GROUP, severity: "critical" },
      externalURL: `http://dash.test/groups/${GROUP}`,
    });
    expect(firing.alerts).toHaveLength(1);
    expect(firing.alerts[0]).toMatchObject({ status: "firing", endsAt: ZERO_TIME, annotations: { summary: `No live worker in group ${GROUP}` } });

    // More evaluations while it still fires: no second notification.
    await evaluateTimes(alerts, 3);
    expect(await outboxRows()).toBe(1);
    expect(receiver.requests).toHaveLength(1);

    const second = spawnWorker(cleanup, "workers/examples/payment-status/main.ts", env);
    const [, resolvedReq] = await receiver.waitFor(2, 40_000).catch((err) => {
      throw new Error(`${err}\n${second.stderr()}`);
    });
    const resolved = verify(resolvedReq, secret);
    expect(resolved.status).toBe("resolved");
    expect(resolved.groupLabels).toEqual({ consumer_group: GROUP });
    expect(resolved.alerts).toHaveLength(1);
    expect(resolved.alerts[0]).toMatchObject({ status: "resolved", fingerprint: firing.alerts[0].fingerprint, startsAt: firing.alerts[0].startsAt });
    expect(resolved.alerts[0].endsAt).not.toBe(ZERO_TIME);
    expect(Date.parse(resolved.alerts[0].endsAt)).toBeGreaterThan(Date.parse(resolved.alerts[0].startsAt));
    expect(resolvedReq.headers["webhook-id"]).not.toBe(firingReq.headers["webhook-id"]);
    expect(await liveWorkers()).toBe(1);

    // The new worker keeps heart-beating: further evaluations stay quiet.
    await evaluateTimes(alerts, 3);
    expect(await outboxRows()).toBe(2);
    expect(receiver.requests).toHaveLength(2);
    expect(await count("SELECT COUNT(*) AS n FROM webhook_delivery WHERE status_code = 200")).toBe(2);
    const [[state]] = await db.pool.query<Row[]>("SELECT status FROM alert_state WHERE consumer_group = ?", [GROUP]);
    expect(state.status).toBe("resolved");
  }, 60_000);
});
