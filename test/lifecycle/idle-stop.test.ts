/**
 * An idle consumer stops within 3 s of SIGTERM even when its open long poll would last 30 s (the
 * client's own default, which a real proxy hands out): the poll is abandoned, not waited out.
 * Messages sent while it stops are not lost: a message the broker put in an abandoned answer is
 * delivered again after its invisible time, and the next consumer applies every order once.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendOrders } from "../../workers/demo-producer/orders";
import { Cleanup, sleep, startBroker, startProducer, waitUntil } from "../support/broker-harness";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { rows } from "../support/deliveries";

const CONSUMER = path.resolve(import.meta.dirname, "../adoption/fixtures/consumer.mjs");
const cleanup = new Cleanup();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await cleanup.run();
  await db.drop();
});

function startConsumer(env: Record<string, string>) {
  const child = spawn(process.execPath, [CONSUMER], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "warn", ...env } });
  const said: string[] = [];
  let stderr = "";
  createInterface({ input: child.stdout! }).on("line", (l) => said.push(l));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on("exit", (code) => resolve({ code, at: Date.now() })));
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return { child, exited, stderr: () => stderr, says: (type: string) => said.some((l) => l.includes(`"type":"${type}"`)) };
}

describe("stopping an idle consumer against a 30 s long poll", () => {
  it("exits within 3 s of SIGTERM; what is sent while one stops is applied once by the next consumer", async () => {
    const broker = await startBroker(cleanup, { longPollingTimeoutS: 30, renewInvisibleS: 2 });
    const topic = "idle-stop";
    broker.admin.createTopic(topic, 1);
    const env = { DATABASE_URL: db.url, ROCKETMQ_ENDPOINTS: broker.endpoint, TOPIC: topic, GROUP: "idle-stop" };
    const startIdle = async () => {
      const consumer = startConsumer(env);
      await waitUntil("the consumer is ready", () => consumer.says("ready") || consumer.child.exitCode !== null, 60_000);
      expect(consumer.says("ready"), consumer.stderr()).toBe(true);
      await sleep(2_000); // idle: its long polls are open and nothing arrives
      return consumer;
    };
    const stopWithin3s = async (consumer: ReturnType<typeof startConsumer>, sigterm: number) => {
      const exit = await consumer.exited;
      expect(exit.code, consumer.stderr()).toBe(0);
      expect(exit.at - sigterm).toBeLessThan(3_000);
      expect(consumer.stderr()).not.toMatch(/unhandled|uncaught/i);
    };

    const idle = await startIdle();
    let sigterm = Date.now();
    idle.child.kill("SIGTERM");
    await stopWithin3s(idle, sigterm);

    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const stopping = await startIdle();
    sigterm = Date.now();
    stopping.child.kill("SIGTERM");
    const sent = await sendOrders(producer, { topic, count: 40, ratePerS: 40, resendRatio: 0, prefix: "idle" });
    await stopWithin3s(stopping, sigterm);

    const next = startConsumer(env);
    await waitUntil("every order applied", async () => Number((await rows(db.pool, "SELECT COUNT(*) AS n FROM order_effect"))[0]?.n ?? 0) >= sent.orders, 60_000);
    const [effects] = await rows(db.pool, "SELECT COUNT(*) AS orders, MAX(applied) AS most FROM order_effect");
    expect([Number(effects.orders), Number(effects.most)]).toEqual([sent.orders, 1]);
    next.child.kill("SIGTERM");
    expect((await next.exited).code).toBe(0);
  }, 120_000);
});
