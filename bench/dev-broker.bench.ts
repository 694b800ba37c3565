/**
 * Dev broker smoke figure: messages through the unchanged rocketmq-client-nodejs, and what they
 * cost the broker. The broker runs in its own process (as `npm run dev-broker` does), the
 * producer in another, and one PushConsumer here acks every message. The flow is measured after a
 * warm-up flow of the same size (a cold process spends more CPU per message while it compiles).
 *
 * There is no target and no baseline: the emulator's job is to behave as a RocketMQ 5 proxy does,
 * not to be fast. The figures are here so a change that makes it far slower shows up.
 */
import pino from "pino";
import { ConsumeResult } from "rocketmq-client-nodejs";
import { clientLogger, PushConsumer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { forkBroker, type BrokerProcess } from "./fixtures/broker-process";
import { forkProducer } from "./fixtures/producer-process";
import type { BenchContext, BenchRow } from "./types";

const logger = clientLogger(pino({ level: "silent" }));
const CONCURRENCY = 64;
const BODY_BYTES = 256;

interface Flow {
  msgsPerSecond: number;
  brokerCpuMsPerMessage: number;
}

/** `n` messages sent from a producer process and acked here; from the first send to the broker's count of the last ack. */
async function measureFlow(broker: BrokerProcess, n: number, name: string): Promise<Flow> {
  const topic = `bench-flow-${name}`;
  const group = `${topic}-g`;
  const consumer = new PushConsumer({
    endpoints: broker.endpoint,
    namespace: "",
    logger,
    consumerGroup: group,
    subscriptions: new Map([[topic, "*"]]),
    messageListener: { consume: async () => ConsumeResult.SUCCESS },
  });
  const [, producer] = await Promise.all([consumer.startup(), forkProducer(broker.endpoint, topic)]);
  try {
    await new Promise((r) => setTimeout(r, 1200)); // the consumer's first assignment scan
    const started = performance.now();
    const cpuBefore = broker.cpuMs();
    await producer.send({ n, concurrency: CONCURRENCY, bodyBytes: BODY_BYTES });
    await broker.waitForAcks(group, topic, n);
    const seconds = (performance.now() - started) / 1000;
    return { msgsPerSecond: n / seconds, brokerCpuMsPerMessage: (broker.cpuMs() - cpuBefore) / n };
  } finally {
    await Promise.all([producer.stop(), shutdownSafely(consumer, { timeoutMs: 10_000 })]);
  }
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = ctx.quick ? 5_000 : 30_000;
  const broker = await forkBroker();
  try {
    await measureFlow(broker, n, "warm-up");
    const flow = await measureFlow(broker, n, "measured");
    return [
      { figure: "dev broker: send+receive+ack via rocketmq-client-nodejs (producer process → broker process → push consumer)", value: flow.msgsPerSecond, unit: "msgs/s" },
      { figure: "dev broker: broker CPU per message in that flow", value: flow.brokerCpuMsPerMessage, unit: "ms" },
    ];
  } finally {
    await broker.stop();
  }
}
