/**
 * Dev broker throughput through the real rocketmq-client-nodejs. The broker runs in its own
 * process (as `npm run dev-broker` does); this process runs one Producer with 64 sends in flight
 * and one PushConsumer acking every message. Figure: msgs/s from the first send until the broker
 * has counted every ack. Baseline: bare grpc-js unary calls/s against the same broker (Heartbeat,
 * 64 in flight), halved — each message costs at least two unary calls (send + ack), so that is
 * the ceiling on this machine. Reported, not gated.
 */
import { credentials, Metadata } from "@grpc/grpc-js";
import pino from "pino";
import { ConsumeResult, Producer, PushConsumer } from "rocketmq-client-nodejs";
import { grpcPb, svc } from "../workers/dev-broker/proto";
import { clientLogger } from "../workers/rocketmq/logger";
import { shutdownSafely } from "../workers/rocketmq/shutdown";
import { forkBroker, type BrokerProcess } from "./fixtures/broker-process";
import type { BenchContext, BenchRow } from "./types";

const logger = clientLogger(pino({ level: "silent" }));
const CONCURRENCY = 64;

async function inParallel(total: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

async function measureBareUnary(endpoint: string, n: number): Promise<number> {
  const client = new grpcPb.MessagingServiceClient(endpoint, credentials.createInsecure());
  const md = new Metadata();
  md.set("x-mq-client-id", "bench-bare");
  const req = new svc.HeartbeatRequest();
  const call = () => new Promise((resolve, reject) => client.heartbeat(req, md, (err, res) => (err ? reject(err) : resolve(res))));
  await inParallel(500, CONCURRENCY, call); // warm-up: connection, JIT
  const started = performance.now();
  await inParallel(n, CONCURRENCY, call);
  const seconds = (performance.now() - started) / 1000;
  client.close();
  return n / seconds;
}

async function measureClientFlow(broker: BrokerProcess, n: number): Promise<number> {
  const topic = "bench-flow";
  const group = "bench-flow-g";
  const consumer = new PushConsumer({
    endpoints: broker.endpoint,
    namespace: "",
    logger,
    consumerGroup: group,
    subscriptions: new Map([[topic, "*"]]),
    messageListener: { consume: async () => ConsumeResult.SUCCESS },
  });
  const producer = new Producer({ endpoints: broker.endpoint, namespace: "", logger, topics: [topic] });
  await Promise.all([consumer.startup(), producer.startup()]);
  await new Promise((r) => setTimeout(r, 1200)); // the consumer's first assignment scan
  const body = Buffer.alloc(256, "x");
  const started = performance.now();
  await inParallel(n, CONCURRENCY, (i) => producer.send({ topic, keys: [`k${i}`], body }));
  while ((await broker.groupStats(group, topic)).acked < n) await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([shutdownSafely(producer, { timeoutMs: 10_000 }), shutdownSafely(consumer, { timeoutMs: 10_000 })]);
  return n / seconds;
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = ctx.quick ? 5_000 : 30_000;
  const broker = await forkBroker();
  try {
    const bare = await measureBareUnary(broker.endpoint, n);
    const flow = await measureClientFlow(broker, n);
    const ceiling = bare / 2;
    return [
      { figure: "dev broker: bare grpc-js unary calls", value: bare, unit: "calls/s" },
      {
        figure: "dev broker: send+receive+ack via rocketmq-client-nodejs",
        value: flow,
        unit: "msgs/s",
        baseline: { name: "bare unary calls/s ÷ 2", value: ceiling },
        ratio: flow / ceiling,
        target: "≥ 1500 msgs/s",
        pass: flow >= 1500,
      },
    ];
  } finally {
    await broker.stop();
  }
}
