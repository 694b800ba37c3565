/**
 * The alert process: default rules on first start, the evaluator (runs only while this instance
 * holds the evaluator lease) and the delivery loop (runs everywhere; SKIP LOCKED keeps instances
 * apart). The evaluator wakes the delivery loop right after it enqueues, so a notification
 * leaves within milliseconds of its tick. The leader also prunes old webhook history (retention.ts).
 */
import { config } from "../config";
import { log } from "../log";
import type { BackoffPolicy } from "./backoff";
import type { Pool } from "./db";
import { startDelivery, type RunningDelivery } from "./delivery";
import { startEvaluator, type RunningEvaluator } from "./evaluator";
import { startWebhookPruner, type PruneOptions, type RunningPruner } from "./retention";
import { ensureDefaultRules } from "./rules";
import type { GuardOptions } from "./ssrf";

export interface AlertsOptions {
  pool: Pool;
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
  /** Seconds between webhook-history prunes by the leader; 0 disables (default RETENTION_INTERVAL_S). */
  pruneIntervalS?: number;
  prune?: PruneOptions;
}

export interface RunningAlerts {
  evaluator: RunningEvaluator;
  delivery: RunningDelivery;
  pruner: RunningPruner;
  /** Stop the loops, wait for attempts in flight, give up the evaluator lease; idempotent. */
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
    intervalS: opts.evalIntervalS,
    repeatIntervalS: opts.repeatIntervalS,
    baseUrl: opts.baseUrl,
    onEnqueued: () => delivery.wake(),
  });
  const pruner = startWebhookPruner({ pool: opts.pool, isLeader: () => evaluator.isLeader(), intervalS: opts.pruneIntervalS, ...opts.prune });
  log.info({ evalIntervalS: opts.evalIntervalS ?? config().ALERT_EVAL_INTERVAL_S }, "alerts running");
  let stopped: Promise<void> | undefined;
  return {
    evaluator,
    delivery,
    pruner,
    stop() {
      // The pruner first (it never rejects): no prune may run on after the evaluator lease is given up.
      // Then each loop on its own, so one failing does not leak the other.
      stopped ??= pruner
        .stop()
        .then(() => Promise.allSettled([evaluator.stop(), delivery.stop()]))
        .then(() => undefined);
      return stopped;
    },
  };
}
