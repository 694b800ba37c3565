/**
 * Demo producer process: sends orders at DEMO_RATE per second (DEMO_COUNT of them, 0 = until
 * stopped) to DEMO_TOPIC, with DEMO_RESEND_RATIO of them sent twice (same key, new msgId).
 *   tsx workers/demo-producer/main.ts
 */
import { config } from "../../lib/config";
import { log } from "../../lib/log";
import { clientLogger, rocketmqClientOptions, Producer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { sendOrders, type SendOrdersResult } from "./orders";

const cfg = config();
const plog = log.child({ worker: "demo-producer" });
const producer = new Producer({ ...rocketmqClientOptions(cfg), logger: clientLogger(plog), topics: [cfg.DEMO_TOPIC] });
const abort = new AbortController();
let stopping = false;
let sending: Promise<SendOrdersResult | undefined> = Promise.resolve(undefined);
/**
 * Stop sending, let the startup or send in progress finish (bounded: with the broker gone either
 * may retry for a long time), then shut the producer down (bounded too) and exit — whether or
 * not the broker still answers.
 */
const stop = async (code: number) => {
  if (stopping) process.exit(1);
  stopping = true;
  abort.abort();
  await Promise.race([sending, new Promise((r) => setTimeout(r, 5_000).unref())]);
  await shutdownSafely(producer, { timeoutMs: 10_000, logger: plog });
  process.exit(code);
};
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

const starting = producer.startup().then(
  () => true,
  (err: unknown) => {
    if (!stopping) plog.error({ err }, "demo producer could not start");
    return false;
  },
);
sending = starting.then(() => undefined);
const started = await starting;
if (stopping) await new Promise(() => {}); // stop() exits
if (!started) process.exit(1);

plog.info({ topic: cfg.DEMO_TOPIC, rate: cfg.DEMO_RATE, resendRatio: cfg.DEMO_RESEND_RATIO }, "demo producer sending");
let total = 0;
sending = sendOrders(producer, {
  topic: cfg.DEMO_TOPIC,
  count: cfg.DEMO_COUNT,
  ratePerS: cfg.DEMO_RATE,
  resendRatio: cfg.DEMO_RESEND_RATIO,
  signal: abort.signal,
  onSent: () => {
    if (++total % 1000 === 0) plog.info({ sent: total }, "demo producer progress");
  },
}).catch((err: unknown) => {
  if (!stopping) plog.error({ err }, "demo producer failed");
  return undefined;
});
const result = await sending;
if (!stopping) {
  plog.info(result ?? {}, "demo producer done");
  await stop(result ? 0 : 1);
}
