/**
 * The lifecycle both consumers share: start() registers the worker, then starts the client;
 * stop() runs the shutdown once — every call returns the same promise — and `done` resolves when
 * it has finished, whoever called stop(). Neither rejects, and nothing here exits the process:
 * that is the caller's decision (runWorker for a worker main).
 */
import type { Logger } from "../logger.js";
import type { DedupProcessor } from "../worker/processor.js";
import { DatabaseConnectionError, isConnectionProblem } from "../db/connection-errors.js";

export interface RunningConsumer {
  /** Stop consuming and settle what is in flight; idempotent. */
  stop(): Promise<void>;
  /** Resolves once the consumer has stopped. */
  readonly done: Promise<void>;
}

export function stopOnce(shutdown: () => Promise<void>): RunningConsumer {
  let stopping: Promise<void> | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  return {
    stop() {
      stopping ??= shutdown().then(
        () => stopped(),
        () => stopped(),
      );
      return stopping;
    },
    done,
  };
}

export interface DedupConsumer {
  readonly workerId: string;
  readonly processor: DedupProcessor;
  /** Register in the worker registry and start consuming; resolves with `{ stop(), done }`. */
  start(): Promise<RunningConsumer>;
  /**
   * Stop receiving, let running handlers finish (claims of unfinished ones are released or left to
   * their lease), flush rollups, deregister, shut the client down. Idempotent (the same promise
   * every call); never rejects; never exits the process.
   */
  stop(): Promise<void>;
  /** Resolves once the consumer has stopped. */
  readonly done: Promise<void>;
}

/** Register the worker, then start the client; if the client cannot start, deregister again. */
async function startTogether(processor: DedupProcessor, client: { startup(): Promise<unknown> }): Promise<void> {
  await processor.start().catch((err: unknown) => {
    throw isConnectionProblem(err) ? new DatabaseConnectionError(undefined, err) : err;
  });
  try {
    await client.startup();
  } catch (err) {
    await processor.stop({ graceMs: 0 });
    throw err;
  }
}

/** A consumer over `processor` and `client`: `afterStart` begins consuming, `shutdown` is run once by stop(). */
export function dedupConsumer(parts: {
  processor: DedupProcessor;
  client: { clientId: string; startup(): Promise<unknown> };
  name: string;
  topic: string;
  log: Logger;
  shutdown: () => Promise<void>;
  afterStart?: () => void;
}): DedupConsumer {
  const { processor, client } = parts;
  const running = stopOnce(parts.shutdown);
  return {
    get workerId() {
      return processor.workerId;
    },
    processor,
    async start() {
      await startTogether(processor, client);
      parts.afterStart?.();
      parts.log.info({ topic: parts.topic, worker: processor.workerId, clientId: client.clientId }, `${parts.name} started`);
      return running;
    },
    stop: running.stop,
    done: running.done,
  };
}
