/**
 * The lifecycle both consumers share: stop() runs the shutdown once — every call returns the same
 * promise — and `done` resolves when it has finished, whoever called stop(). Neither rejects, and
 * nothing here exits the process: that is the caller's decision (runWorker for a worker main).
 */
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
