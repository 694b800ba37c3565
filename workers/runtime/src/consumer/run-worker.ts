/**
 * The worker supervisor for a main file: start the consumers, then on the first SIGTERM/SIGINT
 * stop them gracefully (stop receiving, finish or release in-flight claims, deregister). It never
 * exits the process itself: `exitCode` resolves with what the main should exit with — 0 after a
 * clean stop; 1 when a consumer could not start, on a second signal (at once, not waiting for
 * the stop), or when the stop takes longer than `forceExitAfterMs`. A main ends with
 * `process.exit(await worker.exitCode)`; a service that owns its lifecycle calls the consumers'
 * start() and stop() itself instead.
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
  /** exitCode becomes 1 if the graceful stop takes longer than this (default 60 s). */
  forceExitAfterMs?: number;
}

export interface RunningWorker {
  /** Stop every consumer, as the first signal does; resolves with the exit code. Idempotent. */
  stop(reason?: string): Promise<number>;
  /** Resolves once the worker is done (see above) with the code the process should exit with. */
  readonly exitCode: Promise<number>;
}

/** Start every consumer and install the signal handlers; resolves once they run (or failed to start). */
export async function runWorker(consumers: Stoppable[], opts: RunWorkerOptions): Promise<RunningWorker> {
  let finish!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => (finish = resolve));
  let stopping: Promise<number> | undefined;

  const stop = (reason = "stop"): Promise<number> => {
    stopping ??= (async () => {
      opts.log.info({ reason }, "stopping: no new messages, finishing in-flight ones");
      const force = setTimeout(() => {
        opts.log.error("graceful stop took too long");
        finish(1);
      }, opts.forceExitAfterMs ?? 60_000);
      await Promise.all(consumers.map((c) => c.stop().catch((err: unknown) => opts.log.error({ err }, "consumer stop failed"))));
      await opts.onStopped?.().catch((err: unknown) => opts.log.error({ err }, "cleanup failed"));
      clearTimeout(force);
      opts.log.info("stopped cleanly");
      finish(0);
      return exitCode;
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.log.warn({ signal }, "second signal: giving up the graceful stop");
      finish(1);
      return;
    }
    void stop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  void exitCode.then(() => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  });

  try {
    for (const c of consumers) await c.start();
  } catch (err) {
    opts.log.error({ err }, "worker failed to start");
    await Promise.all(consumers.map((c) => c.stop().catch(() => {})));
    await opts.onStopped?.().catch(() => {});
    finish(1);
  }
  return { stop, exitCode };
}
