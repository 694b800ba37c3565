/**
 * Lease-mode worker process for the chaos run: the payment-status example with an external
 * side-effect log (side-effect-log.ts). Same env as workers/examples/payment-status/main.ts.
 *   tsx test/chaos/lease-worker.ts
 */
import { config } from "../../lib/config";
import { createPool } from "@dedup-audit/runtime/db";
import { log } from "../../lib/log";
import { createDedupConsumer, runWorker, type DedupConsumer } from "@dedup-audit/runtime";
import { ensurePaymentTables } from "../../workers/examples/payment-status/payment";
import { createSideEffectHandler, ensureSideEffectTable } from "./side-effect-log";

const cfg = config();
const group = cfg.DEMO_GROUP ?? "chaos-lease";
const pool = createPool(cfg.DATABASE_URL, { connectionLimit: 16 });
await ensurePaymentTables(pool);
await ensureSideEffectTable(pool);

const consumer: DedupConsumer = createDedupConsumer({
  group,
  topic: cfg.DEMO_TOPIC,
  mode: "lease",
  db: pool,
  handler: createSideEffectHandler(pool, group, () => consumer.workerId, { delayMs: cfg.DEMO_HANDLER_DELAY_MS }),
});
const wlog = log.child({ worker: "chaos-lease" });
const worker = await runWorker([consumer], { log: wlog, onStopped: () => pool.end() });
wlog.info({ group, worker: consumer.workerId }, "chaos lease worker running");
process.exit(await worker.exitCode);
