/**
 * The alert process: default rules on first start, the evaluator (runs only while this instance
 * holds the leader lock) and the delivery loop (runs everywhere; SKIP LOCKED keeps instances
 * apart). The evaluator wakes the delivery loop right after it enqueues, so a notification
 * leaves within milliseconds of its tick.
 */
import { config } from "../config";
import { log } from "../log";
import type { BackoffPolicy } from "./backoff";
import type { Pool } from "./db";
import { startDelivery, type RunningDelivery } from "./delivery";
import { startEvaluator, type RunningEvaluator } from "./evaluator";
import { ensureDefaultRules } from "./rules";
import type { GuardOptions } from "./ssrf";

export interface AlertsOptions {
  pool: Pool;
  url: string;
  evalIntervalS?: number;
  repeatIntervalS?: number;
  baseUrl?: string;
  timeoutS?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  pollIntervalS?: number;
  guard?: GuardOptions;
  /** Create the default rules on first start (default true). */
  defaults?: boolean;
}

export interface RunningAlerts {
  evaluator: RunningEvaluator;
  delivery: RunningDelivery;
  /** Stop both loops, wait for attempts in flight, release the leader lock; idempotent. */
  stop(): Promise<void>;
}

export async function runAlerts(opts: AlertsOptions): Promise<RunningAlerts> {
  if (opts.defaults !== false) await ensureDefaultRules(opts.pool);
  const delivery = startDelivery({
    pool: opts.pool,
    timeoutS: opts.timeoutS,
    maxAttempts: opts.maxAttempts,
    backoff: opts.backoff,
    pollIntervalS: opts.pollIntervalS,
    guard: opts.guard,
  });
  const evaluator = startEvaluator({
    pool: opts.pool,
    url: opts.url,
    intervalS: opts.evalIntervalS,
    repeatIntervalS: opts.repeatIntervalS,
    baseUrl: opts.baseUrl,
    onEnqueued: () => delivery.wake(),
  });
  log.info({ evalIntervalS: opts.evalIntervalS ?? config().ALERT_EVAL_INTERVAL_S }, "alerts running");
  let stopped: Promise<void> | undefined;
  return {
    evaluator,
    delivery,
    stop() {
      // Each step on its own, so one failing does not leak the other.
      stopped ??= Promise.allSettled([evaluator.stop(), delivery.stop()]).then(() => undefined);
      return stopped;
    },
  };
}
