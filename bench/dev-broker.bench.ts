/**
 * Dev broker throughput through the real rocketmq-client-nodejs. The broker runs in its own
 * process (as `npm run dev-broker` does). Rows, all from one broker in one run:
 *   - bare grpc-js unary calls/s against the broker (Heartbeat, 64 in flight, from this process);
 *   - send+receive+ack, producer in its own process (bench/fixtures/producer-process.ts, 64 sends
 *     in flight) and one PushConsumer acking every message here — how a deployment runs them;
 *   - send+receive+ack, producer and consumer both in this process — the original shape, kept so
 *     the single-process figure is never hidden. One event loop then pays for both clients.
 * Figure: msgs/s from the first send until the broker has counted every ack (each flow uses its
 * own topic and group). Baseline: bare unary calls/s halved — each message costs at least two
 * unary calls. Issue 18 item 6 asks for ≥ 1.0× of it ("the broker should cost nothing beyond
 * the two RPCs"); the split row also keeps the earlier goal of ≥ 1,500 msgs/s in its target text.
 * Broker CPU row: the broker process's own CPU time per message (split flow) against two bare
 * calls' CPU time — the ratio is bare × 2 ÷ flow, ≥ 1.0× means nothing beyond the two calls.
 * This is the row item 6 is judged by (bench/README.md says why): the throughput rows are capped
 * by the clients, which share the machine's two cores with the broker.
 * CPU-per-process rows: each process's CPU time per message during the split flow and its share
 * of one core, so what caps the throughput is visible in the same run.
 */
import { credentials, Metadata } from "@grpc/grpc-js";
import pino from "pino";
import { ConsumeResult } from "rocketmq-client-nodejs";
import { grpcPb, svc } from "../workers/dev-broker/proto";
import { clientLogger, Producer, PushConsumer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { forkBroker, type BrokerProcess } from "./fixtures/broker-process";
import { inParallel } from "./fixtures/in-parallel";
import { ownCpuMs } from "./fixtures/process-cpu";
import { forkProducer } from "./fixtures/producer-process";
import type { BenchContext, BenchRow } from "./types";

const logger = clientLogger(pino({ level: "silent" }));
const CONCURRENCY = 64;

/** Throughput and the broker's CPU ms per item while it ran. */
interface Measured {
  perSecond: number;
  brokerCpuMs: number;
}

/** A client flow: also the CPU ms per message of the clients' processes. */
interface FlowMeasured extends Measured {
  producerCpuMs?: number;
  /** This process: the consumer (split flow) or both clients (one-process flow). */
  hereCpuMs: number;
}

async function measureBareUnary(broker: BrokerProcess, n: number): Promise<Measured> {
  const endpoint = broker.endpoint;
  const client = new grpcPb.MessagingServiceClient(endpoint, credentials.createInsecure());
  const md = new Metadata();
  md.set("x-mq-client-id", "bench-bare");
  const req = new svc.HeartbeatRequest();
  const call = () => new Promise((resolve, reject) => client.heartbeat(req, md, (err, res) => (err ? reject(err) : resolve(res))));
  await inParallel(500, CONCURRENCY, call); // warm-up: connection, JIT
  const started = performance.now();
  const cpuBefore = broker.cpuMs();
  await inParallel(n, CONCURRENCY, call);
  const seconds = (performance.now() - started) / 1000;
  const brokerCpuMs = (broker.cpuMs() - cpuBefore) / n;
  client.close();
  return { perSecond: n / seconds, brokerCpuMs };
}

const BODY_BYTES = 256;

/** One producer, one push consumer acking everything; `separate`: the producer in its own process. */
async function measureClientFlow(broker: BrokerProcess, n: number, separate: boolean): Promise<FlowMeasured> {
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
    const cpuBefore = broker.cpuMs();
    const hereBefore = ownCpuMs();
    const producerBefore = producerThere?.cpuMs();
    if (producerThere) await producerThere.send({ n, concurrency: CONCURRENCY, bodyBytes: BODY_BYTES });
    else await inParallel(n, CONCURRENCY, (i) => producerHere!.send({ topic, keys: [`k${i}`], body }));
    await broker.waitForAcks(group, topic, n);
    const seconds = (performance.now() - started) / 1000;
    return {
      perSecond: n / seconds,
      brokerCpuMs: (broker.cpuMs() - cpuBefore) / n,
      producerCpuMs: producerThere && (producerThere.cpuMs() - producerBefore!) / n,
      hereCpuMs: (ownCpuMs() - hereBefore) / n,
    };
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
    // The one-process flow first: it also warms the broker's send, receive and ack paths (JIT), so
    // the bare calls and the split flow after it are both measured on a warm broker. Bare calls
    // measured first, on a cold broker, cost it more CPU each and flattered the CPU ratio.
    const together = (await measureClientFlow(broker, n, false)).perSecond;
    const bareRun = await measureBareUnary(broker, n);
    const bare = bareRun.perSecond;
    const splitRun = await measureClientFlow(broker, n, true);
    const split = splitRun.perSecond;
    const ceiling = bare / 2;
    const flowRow = (figure: string, value: number, target?: string): BenchRow => ({
      figure,
      value,
      unit: "msgs/s",
      baseline: { name: "bare unary calls/s ÷ 2", value: ceiling },
      ratio: value / ceiling,
      ...(target ? { target, pass: value >= ceiling } : {}),
    });
    return [
      { figure: "dev broker: bare grpc-js unary calls", value: bare, unit: "calls/s" },
      flowRow("dev broker: send+receive+ack via rocketmq-client-nodejs, producer in its own process", split, "ratio ≥ 1.0 (item 6; earlier goal ≥ 1,500 msgs/s)"),
      flowRow("dev broker: send+receive+ack via rocketmq-client-nodejs, producer and consumer in one process", together),
      {
        figure: "dev broker: broker CPU per message (split flow) — item 6 is judged here",
        value: splitRun.brokerCpuMs,
        unit: "ms",
        baseline: { name: "2 × broker CPU per bare call", value: 2 * bareRun.brokerCpuMs },
        ratio: (2 * bareRun.brokerCpuMs) / splitRun.brokerCpuMs,
        target: "ratio ≥ 1.0",
        pass: splitRun.brokerCpuMs <= 2 * bareRun.brokerCpuMs,
      },
      ...cpuRows(splitRun),
    ];
  } finally {
    await broker.stop();
  }
}

/**
 * Each process's CPU per message in the split flow, and its share of one core while the flow
 * ran: the flow's throughput is at most (cores × 1000) ÷ the sum of the three, so these rows show
 * which process the machine's two cores go to.
 */
function cpuRows(run: FlowMeasured): BenchRow[] {
  const row = (who: string, msPerMessage: number): BenchRow => ({
    figure: `dev broker: split flow CPU per message, ${who}`,
    value: msPerMessage,
    unit: `ms (${Math.round((msPerMessage * run.perSecond) / 10)} % of a core)`,
  });
  const producer = run.producerCpuMs ?? 0;
  return [
    row("broker process", run.brokerCpuMs),
    row("producer process", producer),
    row("consumer (bench process)", run.hereCpuMs),
    row("all three", run.brokerCpuMs + producer + run.hereCpuMs),
  ];
}
