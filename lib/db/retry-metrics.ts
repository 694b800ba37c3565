/**
 * Retries after a deadlock, lock wait timeout or Galera certification conflict (1213 / 1205), by
 * dedup step ("claim", "commit", "transactional batch", …), in the process's default prom-client
 * registry: on a multi-primary cluster these are part of normal life, and their rate is what a
 * hot key range across nodes costs.
 */
import { Counter, register } from "prom-client";

const NAME = "dedup_lock_conflict_retries_total";

function counter(): Counter<"step"> {
  // Registered once per process even if this module is loaded twice (bundlers, dev reloads).
  return (
    (register.getSingleMetric(NAME) as Counter<"step"> | undefined) ??
    new Counter({ name: NAME, help: "Dedup steps run again after a deadlock, lock wait timeout or certification conflict (1213/1205).", labelNames: ["step"] })
  );
}

export function countLockConflictRetry(step: string): void {
  counter().inc({ step });
}

/** Retries counted so far for one step (all steps when omitted), for tests and summaries. */
export async function lockConflictRetryCount(step?: string): Promise<number> {
  const { values } = await counter().get();
  return values.filter((v) => step === undefined || v.labels.step === step).reduce((n, v) => n + v.value, 0);
}
