/**
 * The worker supervisor: start a consumer, then on the first SIGTERM/SIGINT stop it gracefully
 * (stop receiving, finish or release in-flight claims, deregister) and exit 0; a second signal
 * exits at once with 1. Used by every worker main (examples, npm start, chaos tests). The one
 * place in the package that exits the process: a service that owns its lifecycle calls start()
 * and stop() itself instead.
 */
import type { Logger } from "../logger.js";

export interface Stoppable {
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

export interface RunWorkerOptions {
  log: Logger;
  /** Extra cleanup after the consumers stopped (close pools, …). */
  onStopped?: () => Promise<void>;
  /** Exit code 1 if the graceful stop takes longer than this. */
  forceExitAfterMs?: number;
}

/** Start every consumer; resolve once they are running. Installs the signal handlers. */
export async function runWorker(consumers: Stoppable[], opts: RunWorkerOptions): Promise<void> {
  let stopping = false;
  const stopAll = async (signal: string) => {
    if (stopping) {
      opts.log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    opts.log.info({ signal }, "stopping: no new messages, finishing in-flight ones");
    const force = setTimeout(() => {
      opts.log.error("graceful stop took too long; exiting");
      process.exit(1);
    }, opts.forceExitAfterMs ?? 60_000);
    force.unref();
    await Promise.all(consumers.map((c) => c.stop().catch((err: unknown) => opts.log.error({ err }, "consumer stop failed"))));
    await opts.onStopped?.().catch((err: unknown) => opts.log.error({ err }, "cleanup failed"));
    opts.log.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stopAll("SIGTERM"));
  process.on("SIGINT", () => void stopAll("SIGINT"));
  try {
    for (const c of consumers) await c.start();
  } catch (err) {
    opts.log.error({ err }, "worker failed to start");
    await Promise.all(consumers.map((c) => c.stop().catch(() => {})));
    process.exit(1);
  }
}
