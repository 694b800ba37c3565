/**
 * A background task repeated every interval, for the worker's heartbeats, flushes and retention
 * and the alert evaluator and pruner. Never two runs at once: the next run is scheduled when the
 * previous one has ended, so a slow run delays the next instead of piling up. A failed run goes to
 * `onError` and the task runs again next interval. An interval ≤ 0 runs it only on `runNow`.
 */
export interface Repeating<T> {
  /** Run now, or join the run in progress; undefined when the run failed. */
  runNow(): Promise<T | undefined>;
  /** No further runs; resolves when the run in progress, if any, has ended. Idempotent. */
  stop(): Promise<void>;
}

export interface RepeatOptions {
  onError(err: unknown): void;
  /** First run at once instead of after one interval. */
  runAtStart?: boolean;
  /** Let the process exit while only this timer is pending (default true). */
  unref?: boolean;
}

export function repeatEvery<T>(intervalMs: number, task: () => Promise<T>, opts: RepeatOptions): Repeating<T> {
  let running: Promise<T | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runNow = (): Promise<T | undefined> =>
    (running ??= (async () => {
      try {
        return await task();
      } catch (err) {
        opts.onError(err);
        return undefined;
      } finally {
        running = undefined;
      }
    })());

  const scheduleNext = (): void => {
    if (stopped || intervalMs <= 0) return;
    timer = setTimeout(() => void runNow().then(scheduleNext), intervalMs);
    if (opts.unref ?? true) timer.unref();
  };

  if (opts.runAtStart) void runNow().then(scheduleNext);
  else scheduleNext();

  return {
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
