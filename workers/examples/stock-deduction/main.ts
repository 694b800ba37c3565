/**
 * Example worker process: stock deduction in transactional mode.
 *   tsx workers/examples/stock-deduction/main.ts
 * Env: DATABASE_URL, ROCKETMQ_ENDPOINTS (empty = dev broker on DEV_BROKER_PORT), DEMO_TOPIC,
 * DEMO_GROUP (default "stock-deduction"), DEMO_HANDLER_DELAY_MS, DEMO_FAILURE_RATIO, and the
 * dedup runtime's LEASE_S, HEARTBEAT_S, … (lib/config.ts).
 */
import { config } from "../../../lib/config";
import { createPool } from "@dedup-audit/runtime/db";
import { log } from "../../../lib/log";
import { createDedupConsumer, runWorker } from "@dedup-audit/runtime";
import { createStockHandler, ensureStockTables } from "./stock";

const cfg = config();
const group = cfg.DEMO_GROUP ?? "stock-deduction";
const pool = createPool(cfg.DATABASE_URL, { connectionLimit: 16 });
await ensureStockTables(pool);

const consumer = createDedupConsumer({
  group,
  topic: cfg.DEMO_TOPIC,
  mode: "transactional",
  db: pool,
  handler: createStockHandler(group, { delayMs: cfg.DEMO_HANDLER_DELAY_MS, failureRatio: cfg.DEMO_FAILURE_RATIO }),
});
await runWorker([consumer], { log: log.child({ worker: "stock-deduction" }), onStopped: () => pool.end() });
log.info({ group, worker: consumer.workerId }, "stock-deduction worker running");
