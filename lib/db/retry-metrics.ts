/**
 * dedup_lock_conflict_retries_total{consumer_group}: dedup steps and transactional batches run
 * again after a deadlock, lock wait timeout or Galera certification conflict (1213 / 1205), in
 * the process's default prom-client registry. On a multi-primary cluster these are part of
 * normal life, and their rate is what a hot key range across nodes costs. The runtime package
 * has no prom-client dependency: it counts (processor.lockConflictRetries()), and this reads the
 * counts of the processors registered here at scrape time.
 */
import { Counter, register } from "prom-client";

const NAME = "dedup_lock_conflict_retries_total";

export interface RetrySource {
  lockConflictRetries(): number;
}

const sources = new Map<RetrySource, string>();

function counter(): Counter<"consumer_group"> {
  // Registered once per process even if this module is loaded twice (bundlers, dev reloads).
  return (
    (register.getSingleMetric(NAME) as Counter<"consumer_group"> | undefined) ??
    new Counter({
      name: NAME,
      help: "Dedup steps run again after a deadlock, lock wait timeout or certification conflict (1213/1205).",
      labelNames: ["consumer_group"],
      collect() {
        // Each source's count only grows: the sum read now is the counter's value.
        this.reset();
        for (const [source, group] of sources) this.inc({ consumer_group: group }, source.lockConflictRetries());
      },
    })
  );
}

/** Report `source`'s retries (a DedupProcessor) under `group` from now on; returns the undo. */
export function trackLockConflictRetries(source: RetrySource, group: string): () => void {
  counter();
  sources.set(source, group);
  return () => void sources.delete(source);
}

/** Retries counted so far for one group (all groups when omitted), as a scrape would read them. */
export async function lockConflictRetryCount(group?: string): Promise<number> {
  const { values } = await counter().get();
  return values.filter((v) => group === undefined || v.labels.consumer_group === group).reduce((n, v) => n + v.value, 0);
}
