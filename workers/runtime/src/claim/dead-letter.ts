/**
 * A delivery that was not acked on its group's last attempt is moved by the broker to
 * %DLQ%<group>, whatever our answer was: the handler failed, the copy was held for an operator
 * and deferred, it was waiting for another holder when its worker stopped, or a dedup step
 * failed. Every one of them is written down here — a `dead_letter` event carrying why (error
 * class + secrets-safe message) and the `dead_lettered` counter — and the key's claim, if one
 * is still open (held, or owned by another worker), is marked dead-lettered so it no longer
 * looks merely stuck.
 */
import { markClaimDeadLettered, type ClaimRow, type DedupEventInput, type Scope } from "../sql/index.js";
import type { Pool } from "mysql2/promise";
import type { StatCounter, Verdict } from "../types.js";
import type { DbGuard } from "./db-guard.js";
import type { FailureReason } from "./failure-reason.js";

export const STOPPING_REASON: FailureReason = {
  errorClass: "WorkerStopping",
  message: "handed back to the broker by a stopping worker before it could run",
};

/** A copy held for an operator (expired lease, policy hold) and given back after HOLD_WAIT_S. */
export function heldReason(row: ClaimRow): FailureReason {
  return { errorClass: "HeldForOperator", message: `the key's claim (owner ${row.owner}, fence ${row.fence}) expired and was held for an operator; nobody released or marked it done in time` };
}

/** What a verdict without a recorded reason died of. */
function reasonOf(verdict: Verdict): FailureReason {
  if (!verdict.ack && verdict.reason) return verdict.reason;
  if (!verdict.ack && verdict.outcome === "stopping") return STOPPING_REASON;
  return { errorClass: "NotAcked", message: `answered ${verdict.outcome}` };
}

export interface DeadLetterDeps {
  pool: Pool;
  scope: Scope;
  write(e: DedupEventInput): Promise<void>;
  count(c: StatCounter): void;
  guard: DbGuard;
}

export async function recordDeadLetter(deps: DeadLetterDeps, base: DedupEventInput, verdict: Verdict): Promise<void> {
  const reason = reasonOf(verdict);
  await deps.write({
    ...base,
    kind: "dead_letter",
    outcome: verdict.outcome,
    errorClass: reason.errorClass,
    // The message alone, so dead letters group by reason; the attempt is in delivery_attempt.
    detail: reason.message,
  });
  deps.count("dead_lettered");
  await deps.guard.run("mark claim dead-lettered", () => markClaimDeadLettered(deps.pool, deps.scope, base.tag, base.key), { untilStopped: false, maxWaitMs: 30_000 });
}
