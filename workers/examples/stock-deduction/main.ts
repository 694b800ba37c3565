/**
 * Example worker process: stock deduction in transactional mode.
 *   tsx workers/examples/stock-deduction/main.ts
 * Env: DATABASE_URL (required), ROCKETMQ_ENDPOINTS (empty = dev broker on DEV_BROKER_PORT),
 * DEMO_TOPIC, DEMO_GROUP (default "stock-deduction"), DEMO_HANDLER_DELAY_MS, DEMO_FAILURE_RATIO,
 * and the runtime's own LEASE_S, HEARTBEAT_S, LOG_LEVEL, … (see the package's README).
 */
import { createDedupConsumer, consoleLogger, runtimeSettings, runWorker } from "@dedup-audit/runtime";
import { createPool } from "@dedup-audit/runtime/db";
import { exampleEnv } from "../env";
import { createStockHandler, ensureStockTables } from "./stock";

const env = exampleEnv();
const group = env.DEMO_GROUP ?? "stock-deduction";
const log = consoleLogger(undefined, { worker: "stock-deduction" });
// The runtime's connection budget (DEDUP_DB_CONNECTIONS) for the pool it shares with the handler.
const pool = createPool(env.DATABASE_URL, { connectionLimit: runtimeSettings().DEDUP_DB_CONNECTIONS });
await ensureStockTables(pool);

const consumer = createDedupConsumer({
  group,
  topic: env.DEMO_TOPIC,
  mode: "transactional",
  db: pool,
  log,
  handler: createStockHandler(group, { delayMs: env.DEMO_HANDLER_DELAY_MS, failureRatio: env.DEMO_FAILURE_RATIO }),
});
const worker = await runWorker([consumer], { log, onStopped: () => pool.end() });
log.info({ group, worker: consumer.workerId }, "stock-deduction worker running");
process.exit(await worker.exitCode);
