import { describe, expect, it } from "vitest";
import { ACK_ANSWER_GRACE_MS, causeAwaitsFacts, classifyCause, historyFacts, needsRegistryFacts, previousHolderOf, type CauseFacts, type HolderFacts } from "../src/claim/cause";
import type { ClaimRow } from "../src/sql";

/** Acked the copy, and the broker refused the ack: the copy comes back to be redelivered. */
const ackRefused: HolderFacts = { self: false, registered: true, gone: false, finished: true, ackRefused: true, finishedAgoMs: 2_000, aliveSince: false };
/** Acked the copy long enough ago that a refusal would be written: the broker took the ack (or it died before the ack got out). */
const acked: HolderFacts = { ...ackRefused, ackRefused: false, finishedAgoMs: ACK_ANSWER_GRACE_MS };
const running: HolderFacts = { self: false, registered: true, gone: false, finished: false, ackRefused: false, aliveSince: false };
const dead: HolderFacts = { ...running, gone: true };
const self: HolderFacts = { ...running, self: true };
const unregistered: HolderFacts = { ...running, registered: false };

const base: CauseFacts = { seenBefore: true, attempt: 2, previousAttempt: 1, previousHolder: ackRefused, memberRecentlyGone: false };

const table: [string, Partial<CauseFacts>, string][] = [
  ["unseen msgId, first attempt (a resend's first arrival)", { seenBefore: false, attempt: 1, previousHolder: undefined }, "producer_resend"],
  ["unseen msgId, first attempt, even while members die", { seenBefore: false, attempt: 1, previousHolder: undefined, memberRecentlyGone: true }, "producer_resend"],
  ["unseen msgId, first attempt, marked as an operator's re-drive", { seenBefore: false, attempt: 1, previousHolder: undefined, redriven: true }, "manual_redrive"],
  ["a re-driven copy seen before, next attempt (its own redelivery, not the re-drive)", { previousHolder: running, redriven: true }, "redelivery"],
  ["unseen msgId redelivered, a member just died (its holder was killed before writing)", { seenBefore: false, attempt: 2, previousHolder: undefined, memberRecentlyGone: true }, "rebalance_replay"],
  ["unseen msgId redelivered, membership calm (nacked on a database error)", { seenBefore: false, attempt: 2, previousHolder: undefined }, "redelivery"],
  ["seen, same attempt again (v4 queue moved)", { attempt: 1, previousAttempt: 1 }, "rebalance_replay"],
  ["seen, same attempt again after a redelivery (v4 replay keeps the attempt)", { attempt: 3, previousAttempt: 3 }, "rebalance_replay"],
  ["seen, lower attempt than before (an older ack replayed)", { attempt: 1, previousAttempt: 2 }, "rebalance_replay"],
  ["seen, next attempt, holder acked and the broker refused the ack (lost ack)", { previousHolder: ackRefused }, "redelivery"],
  ["seen, next attempt, this worker acked it and the ack was refused", { previousHolder: { ...ackRefused, self: true } }, "redelivery"],
  ["seen, next attempt, holder acked and the broker took it (the queue moved to a consumer that died holding it)", { previousHolder: acked }, "rebalance_replay"],
  ["seen, next attempt, holder finished but died before its ack got out", { previousHolder: { ...acked, gone: true } }, "rebalance_replay"],
  ["seen, next attempt, holder still running it or released it (invisible time ran out, nack)", { previousHolder: running }, "redelivery"],
  ["seen, next attempt, this worker held it unfinished", { previousHolder: self }, "redelivery"],
  ["seen, next attempt, holder died holding it unfinished", { previousHolder: dead }, "rebalance_replay"],
  ["seen, next attempt, holder died holding it, members calm otherwise", { previousHolder: dead, memberRecentlyGone: false }, "rebalance_replay"],
  ["seen, next attempt, unfinished holder not in the registry", { previousHolder: unregistered }, "unknown"],
  ["seen, next attempt, no holder known, a member just died", { previousHolder: undefined, memberRecentlyGone: true }, "rebalance_replay"],
  ["seen, attempts skipped (deliveries in between never written), a member just died", { attempt: 4, previousAttempt: 1, memberRecentlyGone: true }, "rebalance_replay"],
  ["seen, attempts skipped, membership calm", { attempt: 4, previousAttempt: 1, previousHolder: dead }, "redelivery"],
];

describe("classifyCause", () => {
  it.each(table)("%s → %s", (_name, facts, expected) => {
    expect(classifyCause({ ...base, ...facts })).toBe(expected);
  });

  it("gives every combination of facts exactly one of the causes", () => {
    const holders = [undefined, ackRefused, acked, running, dead, self, unregistered];
    const seen = new Set<string>();
    for (const seenBefore of [false, true])
      for (const attempt of [1, 2, 3])
        for (const previousAttempt of [1, 2])
          for (const previousHolder of holders)
            for (const memberRecentlyGone of [false, true])
              for (const redriven of [false, true]) seen.add(classifyCause({ seenBefore, attempt, previousAttempt, previousHolder, memberRecentlyGone, redriven }));
    expect([...seen].sort()).toEqual(["manual_redrive", "producer_resend", "rebalance_replay", "redelivery", "unknown"]);
  });
});

describe("causeAwaitsFacts: a fact the cause hangs on may not be written yet", () => {
  const waits: [string, Partial<CauseFacts>, boolean][] = [
    ["holder registered, still running or released it, not overdue", { previousHolder: running }, true],
    ["that holder, heard from since the first reading", { previousHolder: { ...running, aliveSince: true } }, false],
    ["holder finished, its ack refused (its ack decides, not its life)", { previousHolder: ackRefused }, false],
    ["holder finished long enough ago, no refusal written", { previousHolder: acked }, false],
    ["holder finished just now, no refusal written yet (it may be on its way)", { previousHolder: { ...acked, finishedAgoMs: ACK_ANSWER_GRACE_MS - 1 } }, true],
    ["holder gone", { previousHolder: dead }, false],
    ["holder is this worker", { previousHolder: self }, false],
    ["holder not in the registry", { previousHolder: unregistered }, false],
    ["no holder known, no member gone, not all heard from since", { previousHolder: undefined }, true],
    ["no holder known, every member heard from since", { previousHolder: undefined, othersAliveSince: true }, false],
    ["no holder known, a member gone", { previousHolder: undefined, memberRecentlyGone: true }, false],
    ["same attempt again (a replay, whatever the registry says)", { attempt: 1, previousHolder: running }, false],
    ["a resend's first arrival", { seenBefore: false, attempt: 1, previousHolder: undefined }, false],
  ];
  it.each(waits)("%s → %s", (_name, facts, expected) => {
    expect(causeAwaitsFacts({ ...base, ...facts })).toBe(expected);
  });
});

describe("the delivery's history, and whether the registry is asked", () => {
  const row = { firstMsgId: "A", owner: "w-first" } as ClaimRow;
  const finishedAt = new Date("2026-12-01T10:00:00Z");

  it("counts the claim's first msgId as met at attempt 1 by the claim's owner", () => {
    expect(historyFacts({ msgId: "A", attempt: 1 }, row, undefined)).toEqual({ seenBefore: true, attempt: 1, previousAttempt: 1 });
    expect(previousHolderOf({ msgId: "A" }, row, undefined)).toEqual({ id: "w-first" });
  });

  it("takes a written-down msgId's attempt and last holder over the claim row", () => {
    const prior = { attempt: 3, holder: "w-x", finishedAt };
    expect(historyFacts({ msgId: "B", attempt: 4 }, row, prior)).toEqual({ seenBefore: true, attempt: 4, previousAttempt: 3 });
    expect(previousHolderOf({ msgId: "B" }, row, prior)).toEqual({ id: "w-x", finishedAt });
  });

  it("knows no holder of a msgId never met", () => {
    expect(historyFacts({ msgId: "B", attempt: 2 }, row, undefined)).toEqual({ seenBefore: false, attempt: 2, previousAttempt: 1 });
    expect(previousHolderOf({ msgId: "B" }, row, undefined)).toBeUndefined();
  });

  it.each([
    ["a first arrival of a msgId never met", { seenBefore: false, attempt: 1, previousAttempt: 1 }, false],
    ["a msgId never met, redelivered", { seenBefore: false, attempt: 2, previousAttempt: 1 }, true],
    ["a msgId met, same attempt again", { seenBefore: true, attempt: 2, previousAttempt: 2 }, false],
    ["a msgId met, attempt counted up", { seenBefore: true, attempt: 3, previousAttempt: 2 }, true],
  ])("asks the registry for %s: %s", (_name, h, expected) => {
    expect(needsRegistryFacts(h)).toBe(expected);
  });

  it("never lets the registry change a cause it is not asked for", () => {
    const holders = [undefined, ackRefused, acked, running, dead, self, unregistered];
    for (const seenBefore of [false, true])
      for (const attempt of [1, 2, 3])
        for (const previousAttempt of [1, 2]) {
          const h = { seenBefore, attempt, previousAttempt };
          if (needsRegistryFacts(h)) continue;
          const causes = new Set(holders.flatMap((previousHolder) => [false, true].map((memberRecentlyGone) => classifyCause({ ...h, previousHolder, memberRecentlyGone }))));
          expect(causes.size).toBe(1);
        }
  });
});
