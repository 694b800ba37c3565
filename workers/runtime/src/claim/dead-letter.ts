/**
 * Why a delivery died. A delivery that was not acked on its group's last attempt is moved by the
 * broker to %DLQ%<group>, whatever our answer was: the handler failed, the copy was held for an
 * operator and deferred, it was waiting for another holder when its worker stopped, or a dedup
 * step failed. The recorder (recorder.ts) writes each one down as a `dead_letter` event carrying
 * the reason named here (error class + secrets-safe message) with the `dead_lettered` counter,
 * and marks the key's open claim (held, or owned elsewhere) dead-lettered so it no longer looks
 * merely stuck.
 */
import type { ClaimRow } from "../sql/index.js";
import type { Verdict } from "../types.js";
import type { FailureReason } from "./failure-reason.js";

export const STOPPING_REASON: FailureReason = {
  errorClass: "WorkerStopping",
  message: "handed back to the broker by a stopping worker before it could run",
};

/** A copy held for an operator (expired lease, policy hold) and given back after HOLD_WAIT_S. */
export function heldReason(row: ClaimRow): FailureReason {
  return { errorClass: "HeldForOperator", message: `the key's claim (owner ${row.owner}, fence ${row.fence}) expired and was held for an operator; nobody released or marked it done in time` };
}

/** What a verdict died of: its recorded reason, or one named after its answer. */
export function reasonOf(verdict: Verdict): FailureReason {
  if (!verdict.ack && verdict.reason) return verdict.reason;
  if (!verdict.ack && verdict.outcome === "stopping") return STOPPING_REASON;
  return { errorClass: "NotAcked", message: `answered ${verdict.outcome}` };
}
