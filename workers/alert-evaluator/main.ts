/**
 * Alert process, started by `npm start` (and runnable alone: `tsx workers/alert-evaluator/main.ts`).
 * Any number may run: one wins the evaluator lease, all deliver. First SIGTERM/SIGINT stops
 * cleanly (attempts in flight finish, the lease is given up); a second one exits at once.
 */
import { config } from "../../lib/config";
import { createPool } from "@dedup-audit/runtime/db";
import { log } from "../../lib/log";
import { runAlerts } from "../../lib/alerts/runner";

/** `npm start` may launch us while the database is still starting or migrating: keep trying. */
async function startWithRetry(pool: ReturnType<typeof createPool>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runAlerts({ pool });
    } catch (err) {
      if (attempt >= 30) throw err;
      log.warn({ err: (err as Error).message, attempt }, "alerts could not start yet; retrying in 2 s");
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function main(): Promise<void> {
  const c = config();
  const pool = createPool(c.DATABASE_URL, { connectionLimit: 8 });
  const alerts = await startWithRetry(pool);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "stopping alerts");
    void alerts
      .stop()
      .then(() => pool.end())
      .then(() => process.exit(0), (err) => {
        log.error({ err }, "error while stopping alerts");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  log.fatal({ err }, "alert process failed to start");
  process.exit(1);
});
