/**
 * Demo producer process: sends orders at DEMO_RATE per second (DEMO_COUNT of them, 0 = until
 * stopped) to DEMO_TOPIC, with DEMO_RESEND_RATIO of them sent twice (same key, new msgId).
 *   tsx workers/demo-producer/main.ts
 */
import { config } from "../../lib/config";
import { log } from "../../lib/log";
import { clientLogger, connectionOptions, Producer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { sendOrders } from "./orders";

const cfg = config();
const plog = log.child({ worker: "demo-producer" });
const producer = new Producer({ ...connectionOptions(cfg), logger: clientLogger(plog), topics: [cfg.DEMO_TOPIC] });
await producer.startup();
const abort = new AbortController();
let stopping = false;
const stop = async (code: number) => {
  if (stopping) process.exit(1);
  stopping = true;
  abort.abort();
  await shutdownSafely(producer, { timeoutMs: 10_000, logger: plog });
  process.exit(code);
};
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

plog.info({ topic: cfg.DEMO_TOPIC, rate: cfg.DEMO_RATE, resendRatio: cfg.DEMO_RESEND_RATIO }, "demo producer sending");
let total = 0;
const result = await sendOrders(producer, {
  topic: cfg.DEMO_TOPIC,
  count: cfg.DEMO_COUNT,
  ratePerS: cfg.DEMO_RATE,
  resendRatio: cfg.DEMO_RESEND_RATIO,
  signal: abort.signal,
  onSent: () => {
    if (++total % 1000 === 0) plog.info({ sent: total }, "demo producer progress");
  },
}).catch((err: unknown) => {
  plog.error({ err }, "demo producer failed");
  return undefined;
});
if (!stopping) {
  plog.info(result ?? {}, "demo producer done");
  await stop(result ? 0 : 1);
}
