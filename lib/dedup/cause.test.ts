import { describe, expect, it } from "vitest";
import { classifyCause, type CauseFacts, type HolderFacts } from "./cause";

const alive: HolderFacts = { self: false, registered: true, gone: false, aliveAfterFinishing: true };
const dead: HolderFacts = { self: false, registered: true, gone: true, aliveAfterFinishing: false };
const self: HolderFacts = { self: true, registered: true, gone: false, aliveAfterFinishing: true };
const ackedThenDied: HolderFacts = { ...dead, aliveAfterFinishing: true };
const unregistered: HolderFacts = { self: false, registered: false, gone: false, aliveAfterFinishing: false };

const base: CauseFacts = { seenBefore: true, attempt: 2, previousAttempt: 1, previousHolder: alive, memberRecentlyGone: false };

const table: [string, Partial<CauseFacts>, string][] = [
  ["unseen msgId, first attempt (a resend's first arrival)", { seenBefore: false, attempt: 1, previousHolder: undefined }, "producer_resend"],
  ["unseen msgId, first attempt, even while members die", { seenBefore: false, attempt: 1, previousHolder: undefined, memberRecentlyGone: true }, "producer_resend"],
  ["unseen msgId redelivered, a member just died (its holder was killed before writing)", { seenBefore: false, attempt: 2, previousHolder: undefined, memberRecentlyGone: true }, "rebalance_replay"],
  ["unseen msgId redelivered, membership calm (nacked on a database error)", { seenBefore: false, attempt: 2, previousHolder: undefined }, "redelivery"],
  ["seen, same attempt again (v4 queue moved)", { attempt: 1, previousAttempt: 1 }, "rebalance_replay"],
  ["seen, same attempt again after a redelivery (v4 replay keeps the attempt)", { attempt: 3, previousAttempt: 3 }, "rebalance_replay"],
  ["seen, lower attempt than before (an older ack replayed)", { attempt: 1, previousAttempt: 2 }, "rebalance_replay"],
  ["seen, next attempt, holder alive (nack, timeout, lost ack)", {}, "redelivery"],
  ["seen, next attempt, holder is this worker", { previousHolder: self }, "redelivery"],
  ["seen, next attempt, holder died holding it", { previousHolder: dead }, "rebalance_replay"],
  ["seen, next attempt, holder died holding it, members calm otherwise", { previousHolder: dead, memberRecentlyGone: false }, "rebalance_replay"],
  ["seen, next attempt, holder finished, then died (its ack was lost)", { previousHolder: ackedThenDied }, "redelivery"],
  ["seen, next attempt, holder not in the registry", { previousHolder: unregistered }, "unknown"],
  ["seen, next attempt, no holder known, a member just died", { previousHolder: undefined, memberRecentlyGone: true }, "rebalance_replay"],
  ["seen, attempts skipped (deliveries in between never written), a member just died", { attempt: 4, previousAttempt: 1, memberRecentlyGone: true }, "rebalance_replay"],
  ["seen, attempts skipped, membership calm", { attempt: 4, previousAttempt: 1, previousHolder: dead }, "redelivery"],
];

describe("classifyCause", () => {
  it.each(table)("%s → %s", (_name, facts, expected) => {
    expect(classifyCause({ ...base, ...facts })).toBe(expected);
  });

  it("gives every combination of facts exactly one of the four causes", () => {
    const holders = [undefined, alive, dead, self, ackedThenDied, unregistered];
    const seen = new Set<string>();
    for (const seenBefore of [false, true])
      for (const attempt of [1, 2, 3])
        for (const previousAttempt of [1, 2])
          for (const previousHolder of holders)
            for (const memberRecentlyGone of [false, true]) seen.add(classifyCause({ seenBefore, attempt, previousAttempt, previousHolder, memberRecentlyGone }));
    expect([...seen].sort()).toEqual(["producer_resend", "rebalance_replay", "redelivery", "unknown"]);
  });
});
