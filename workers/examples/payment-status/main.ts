/**
 * Example worker process: payment status in lease mode.
 *   tsx workers/examples/payment-status/main.ts
 * Env: DATABASE_URL, ROCKETMQ_ENDPOINTS, DEMO_TOPIC, DEMO_GROUP (default "payment-status"),
 * DEMO_HANDLER_DELAY_MS, DEMO_FAILURE_RATIO, LEASE_S, HEARTBEAT_S, EXPIRED_LEASE_POLICY, …
 */
import { config } from "../../../lib/config";
import { createPool } from "@dedup-audit/runtime/db";
import { log } from "../../../lib/log";
import { createDedupConsumer, runWorker } from "@dedup-audit/runtime";
import { createPaymentHandler, ensurePaymentTables } from "./payment";

const cfg = config();
const group = cfg.DEMO_GROUP ?? "payment-status";
const pool = createPool(cfg.DATABASE_URL, { connectionLimit: 16 });
await ensurePaymentTables(pool);
const wlog = log.child({ worker: "payment-status" });

const consumer = createDedupConsumer({
  group,
  topic: cfg.DEMO_TOPIC,
  mode: "lease",
  db: pool,
  handler: createPaymentHandler(pool, group, {
    delayMs: cfg.DEMO_HANDLER_DELAY_MS,
    failureRatio: cfg.DEMO_FAILURE_RATIO,
    onResult: (r, m) => {
      if (r === "already_paid") wlog.warn({ msgId: m.msgId }, "state machine absorbed a repeat (status already 1)");
    },
  }),
});
await runWorker([consumer], { log: wlog, onStopped: () => pool.end() });
wlog.info({ group, worker: consumer.workerId }, "payment-status worker running");
