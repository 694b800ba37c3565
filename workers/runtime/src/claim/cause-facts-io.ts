/**
 * The I/O behind a duplicate's cause (cause.ts decides from these facts): writing down that this
 * worker has a msgId now, and reading the worker registry's facts about a copy's earlier holder.
 */
import type { Pool } from "mysql2/promise";
import { readCauseFacts, recordSeenMsg, seenScopeHash, type Scope, type SeenMsg } from "../sql/index.js";
import type { KeyedDelivery } from "../types.js";
import type { DbGuard } from "./db-guard.js";
import type { Decision, DeliveryFacts, RegistryFactsOf } from "./decide.js";

export interface CauseFactsIo {
  /** Write down that this worker has the delivery's msgId now; returns what was written before. */
  noteSeen(d: KeyedDelivery, finished: boolean): Promise<SeenMsg | undefined>;
  /**
   * A redelivery that claimed a key nobody held writes its msgId down too, so a later copy knows
   * who held it at which attempt; a first delivery (attempt 1) writes only its claim row.
   */
  noteRedeliveredClaim(d: KeyedDelivery, t: DeliveryFacts): Promise<void>;
  /** Read the registry's facts for the step; `first`: the reading this one follows up on. */
  readRegistry(d: KeyedDelivery, step: Extract<Decision, { do: "read-cause-facts" }>, first?: RegistryFactsOf): Promise<RegistryFactsOf>;
}

export function createCauseFactsIo(o: { pool: Pool; scope: Scope; workerId: string; guard: DbGuard; replayWindowMs: number; workerTimeoutMs: number }): CauseFactsIo {
  const { pool, scope, workerId, guard } = o;

  function noteSeen(d: KeyedDelivery, finished: boolean): Promise<SeenMsg | undefined> {
    const m = { msgId: d.msgId, attempt: d.deliveryAttempt, holder: workerId, finished };
    return guard.run("note msgId", () => recordSeenMsg(pool, seenScopeHash(scope, d.tag, d.key), m), { untilStopped: false, maxWaitMs: 30_000 });
  }

  return {
    noteSeen,
    async noteRedeliveredClaim(d, t) {
      if (d.deliveryAttempt > 1 && !t.seen) t.seen = { prior: await noteSeen(d, false) };
    },
    async readRegistry(d, step, first) {
      // The claim's commit finished this very copy only if the claim is of its msgId.
      const holder = step.holder && { ...step.holder, committedClaimId: d.msgId === step.row.firstMsgId ? step.row.id : undefined };
      const firstAskedAt = first?.firstAskedAt ?? Date.now();
      const facts = await guard.run("cause facts", () =>
        readCauseFacts(pool, { group: scope.group, asker: workerId, msgId: d.msgId, holder, replayWindowMs: o.replayWindowMs, workerTimeoutMs: o.workerTimeoutMs, since: first?.since }),
      );
      return { claimId: step.row.id, holder: step.holder?.id, facts, since: first?.since ?? facts.asOf, firstAskedAt };
    },
  };
}
