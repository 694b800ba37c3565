/**
 * Dev broker throughput through the real rocketmq-client-nodejs. The broker runs in its own
 * process (as `npm run dev-broker` does). Rows, all from one broker in one run:
 *   - bare grpc-js unary calls/s against the broker (Heartbeat, 64 in flight, from this process);
 *   - send+receive+ack, producer in its own process (bench/fixtures/producer-process.ts, 64 sends
 *     in flight) and one PushConsumer acking every message here — how a deployment runs them,
 *     and the row the ≥ 1500 msgs/s target is meant for;
 *   - send+receive+ack, producer and consumer both in this process — the original shape, kept so
 *     the single-process figure is never hidden. One event loop then pays for two unary calls
 *     per message (send + ack) plus the receive stream, so it is capped near bare ÷ 2.
 * Figure: msgs/s from the first send until the broker has counted every ack (each flow uses its
 * own topic and group). Baseline: bare unary calls/s halved — each message costs at least two
 * unary calls — the ceiling for one client process on this machine. Reported, not gated.
 */
import { credentials, Metadata } from "@grpc/grpc-js";
import pino from "pino";
import { ConsumeResult } from "rocketmq-client-nodejs";
import { grpcPb, svc } from "../workers/dev-broker/proto";
import { clientLogger, Producer, PushConsumer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { forkBroker, type BrokerProcess } from "./fixtures/broker-process";
import { inParallel } from "./fixtures/in-parallel";
import { forkProducer } from "./fixtures/producer-process";
import type { BenchContext, BenchRow } from "./types";

const logger = clientLogger(pino({ level: "silent" }));
const CONCURRENCY = 64;

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

const BODY_BYTES = 256;

/** One producer, one push consumer acking everything; `separate`: the producer in its own process. */
async function measureClientFlow(broker: BrokerProcess, n: number, separate: boolean): Promise<number> {
  const topic = separate ? "bench-flow-split" : "bench-flow";
  const group = `${topic}-g`;
  const consumer = new PushConsumer({
    endpoints: broker.endpoint,
    namespace: "",
    logger,
    consumerGroup: group,
    subscriptions: new Map([[topic, "*"]]),
    messageListener: { consume: async () => ConsumeResult.SUCCESS },
  });
  const producerHere = separate ? undefined : new Producer({ endpoints: broker.endpoint, namespace: "", logger, topics: [topic] });
  const [, producerThere] = await Promise.all([
    consumer.startup(),
    separate ? forkProducer(broker.endpoint, topic) : producerHere!.startup().then(() => undefined),
  ]);
  try {
    await new Promise((r) => setTimeout(r, 1200)); // the consumer's first assignment scan
    const body = Buffer.alloc(BODY_BYTES, "x");
    const started = performance.now();
    if (producerThere) await producerThere.send({ n, concurrency: CONCURRENCY, bodyBytes: BODY_BYTES });
    else await inParallel(n, CONCURRENCY, (i) => producerHere!.send({ topic, keys: [`k${i}`], body }));
    while ((await broker.groupStats(group, topic)).acked < n) await new Promise((r) => setTimeout(r, 10));
    return n / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all([
      producerThere?.stop(),
      producerHere && shutdownSafely(producerHere, { timeoutMs: 10_000 }),
      shutdownSafely(consumer, { timeoutMs: 10_000 }),
    ]);
  }
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = ctx.quick ? 5_000 : 30_000;
  const broker = await forkBroker();
  try {
    const bare = await measureBareUnary(broker.endpoint, n);
    const together = await measureClientFlow(broker, n, false);
    const split = await measureClientFlow(broker, n, true);
    const ceiling = bare / 2;
    const flowRow = (figure: string, value: number): BenchRow => ({
      figure,
      value,
      unit: "msgs/s",
      baseline: { name: "bare unary calls/s ÷ 2", value: ceiling },
      ratio: value / ceiling,
      target: "≥ 1500 msgs/s",
      pass: value >= 1500,
    });
    return [
      { figure: "dev broker: bare grpc-js unary calls", value: bare, unit: "calls/s" },
      flowRow("dev broker: send+receive+ack via rocketmq-client-nodejs, producer in its own process", split),
      flowRow("dev broker: send+receive+ack via rocketmq-client-nodejs, producer and consumer in one process", together),
    ];
  } finally {
    await broker.stop();
  }
}
