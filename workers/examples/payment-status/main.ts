/**
 * Example worker process: payment status in lease mode.
 *   tsx workers/examples/payment-status/main.ts
 * Env: DATABASE_URL (required), ROCKETMQ_ENDPOINTS, DEMO_TOPIC, DEMO_GROUP (default
 * "payment-status"), DEMO_HANDLER_DELAY_MS, DEMO_FAILURE_RATIO, and the runtime's own LEASE_S,
 * HEARTBEAT_S, EXPIRED_LEASE_POLICY, LOG_LEVEL, … (see the package's README).
 */
import { createDedupConsumer, consoleLogger, runtimeSettings, runWorker } from "@dedup-audit/runtime";
import { createPool } from "@dedup-audit/runtime/db";
import { exampleEnv } from "../env";
import { createPaymentHandler, ensurePaymentTables } from "./payment";

const env = exampleEnv();
const group = env.DEMO_GROUP ?? "payment-status";
const log = consoleLogger(undefined, { worker: "payment-status" });
// The runtime's connection budget (DEDUP_DB_CONNECTIONS) for the pool it shares with the handler.
const pool = createPool(env.DATABASE_URL, { connectionLimit: runtimeSettings().DEDUP_DB_CONNECTIONS });
await ensurePaymentTables(pool);

const consumer = createDedupConsumer({
  group,
  topic: env.DEMO_TOPIC,
  mode: "lease",
  db: pool,
  log,
  handler: createPaymentHandler(pool, group, {
    delayMs: env.DEMO_HANDLER_DELAY_MS,
    failureRatio: env.DEMO_FAILURE_RATIO,
    onResult: (r, m) => {
      if (r === "already_paid") log.warn({ msgId: m.msgId }, "state machine absorbed a repeat (status already 1)");
    },
  }),
});
const worker = await runWorker([consumer], { log, onStopped: () => pool.end() });
log.info({ group, worker: consumer.workerId }, "payment-status worker running");
process.exit(await worker.exitCode);
