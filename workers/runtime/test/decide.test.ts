/**
 * The claim state machine's transitions, one table row each: the claim row seen (none, DONE,
 * CLAIMED ours / theirs, lease valid / expired), the delivery's facts, the group policy and the
 * clock in, the decision out. Pure: no database, no clock.
 */
import { describe, expect, it } from "vitest";
import { classifyCause, needsReplayFacts, type CauseFacts } from "../src/claim/cause";
import { afterRun, decide, type Clock, type Decision, type DeliveryFacts, type GroupPolicy } from "../src/claim/decide";
import { UnrecoverableError } from "../src/index";
import type { ClaimRow } from "../src/sql";

const ME = "worker-me";
const THEM = "worker-them";
const HASH = Buffer.alloc(32, 1);
const OTHER_HASH = Buffer.alloc(32, 2);
const CLAIMED_AT = new Date("2026-11-25T10:00:00Z");
const NOW = CLAIMED_AT.getTime() + 120_000;

function claim(over: Partial<ClaimRow> = {}): ClaimRow {
  return {
    id: 7,
    tag: "",
    key: Buffer.from("order-1"),
    state: "CLAIMED",
    owner: THEM,
    fence: 3,
    firstMsgId: "M1",
    payloadHash: HASH,
    claimedAt: CLAIMED_AT,
    leaseUntil: new Date(NOW + 30_000),
    expired: false,
    ...over,
  };
}
const done = (over: Partial<ClaimRow> = {}) => claim({ state: "DONE", ...over });
const expired = (over: Partial<ClaimRow> = {}) => claim({ expired: true, leaseUntil: new Date(NOW - 1000), ...over });

type Facts = Omit<Partial<DeliveryFacts>, "noted"> & { noted?: Partial<DeliveryFacts["noted"]> };
function facts(over: Facts = {}): DeliveryFacts {
  return {
    msgId: "M1",
    attempt: 1,
    payloadHash: HASH,
    worker: ME,
    runningHere: false,
    heldElsewhere: false,
    ...over,
    noted: { sighting: false, mismatch: false, expiry: false, ...over.noted },
  };
}
const TAKEOVER: GroupPolicy = { expiredLease: "takeover", holdWaitMs: 60_000 };
const HOLD: GroupPolicy = { expiredLease: "hold", holdWaitMs: 60_000 };
const replayOf = (row: ClaimRow, ownerGone: boolean, rebalanced = false) => ({ owner: row.owner, claimedAt: row.claimedAt.getTime(), facts: { ownerGone, rebalanced } });

interface Transition {
  name: string;
  row?: ClaimRow;
  facts?: Facts;
  policy?: GroupPolicy;
  clock?: Clock;
  expect: Decision;
}

const table: Transition[] = [
  // ---- before the database: copies of the key in this process, Redis guard ----
  { name: "another copy runs here, not noted → note the sighting", facts: { runningHere: true }, expect: { do: "note-sighting" } },
  { name: "another copy runs here, noted → wait for it here", facts: { runningHere: true, noted: { sighting: true } }, expect: { do: "wait-here" } },
  { name: "another copy runs here wins over a row", row: done(), facts: { runningHere: true, noted: { sighting: true } }, expect: { do: "wait-here" } },
  { name: "no row, Redis guard held elsewhere, not noted → note the sighting", facts: { heldElsewhere: true }, expect: { do: "note-sighting" } },
  { name: "no row, Redis guard held elsewhere, noted → wait", facts: { heldElsewhere: true, noted: { sighting: true } }, expect: { do: "wait" } },

  // ---- no row: claim ----
  { name: "no row, nothing seen → claim", expect: { do: "claim" } },
  {
    name: "no row after someone else's claim (resend) → claim as a duplicate hit claimed after release",
    facts: { msgId: "M2", othersRow: claim() },
    expect: { do: "claim", hit: { cause: "producer_resend", outcome: "claimed_after_release" } },
  },
  {
    name: "no row after someone else's claim, same msgId, registry not read → read replay facts of that claim",
    facts: { othersRow: claim() },
    expect: { do: "read-replay-facts", row: claim() },
  },
  {
    name: "no row after someone else's claim whose owner died → claim, hit rebalance replay",
    facts: { othersRow: claim(), replay: replayOf(claim(), true) },
    expect: { do: "claim", hit: { cause: "rebalance_replay", outcome: "claimed_after_release" } },
  },
  {
    name: "no row after a takeover (hit already fixed) → claim, keeping the hit",
    facts: { othersRow: claim(), hit: { cause: "redelivery", outcome: "took_over" } },
    expect: { do: "claim" },
  },
  { name: "Redis guard not held, no row → claim", facts: { heldElsewhere: false, noted: { sighting: true } }, expect: { do: "claim" } },

  // ---- a row: payload check first ----
  { name: "row with a different payload, not noted → note the mismatch", row: done(), facts: { msgId: "M2", payloadHash: OTHER_HASH }, expect: { do: "note-mismatch", row: done() } },
  {
    name: "row with a different payload, noted → go on (DONE: ack)",
    row: done(),
    facts: { msgId: "M2", payloadHash: OTHER_HASH, noted: { mismatch: true } },
    expect: { do: "ack-duplicate", row: done(), cause: "producer_resend" },
  },

  // ---- DONE: ack as a duplicate, by cause ----
  { name: "DONE, other msgId → ack, producer resend", row: done(), facts: { msgId: "M2" }, expect: { do: "ack-duplicate", row: done(), cause: "producer_resend" } },
  { name: "DONE, same msgId, theirs, registry not read → read replay facts", row: done(), expect: { do: "read-replay-facts", row: done() } },
  {
    name: "DONE, same msgId, theirs, owner gone → ack, rebalance replay",
    row: done(),
    facts: { replay: replayOf(done(), true) },
    expect: { do: "ack-duplicate", row: done(), cause: "rebalance_replay" },
  },
  {
    name: "DONE, same msgId, ours, attempt 1, group rebalanced → ack, rebalance replay",
    row: done({ owner: ME }),
    facts: { replay: replayOf(done({ owner: ME }), false, true) },
    expect: { do: "ack-duplicate", row: done({ owner: ME }), cause: "rebalance_replay" },
  },
  {
    name: "DONE, same msgId, theirs, attempt 1, nothing in the registry → ack, unknown",
    row: done(),
    facts: { replay: replayOf(done(), false) },
    expect: { do: "ack-duplicate", row: done(), cause: "unknown" },
  },
  {
    name: "DONE, same msgId, theirs, attempt 2, owner alive → ack, redelivery",
    row: done(),
    facts: { attempt: 2, replay: replayOf(done(), false, true) },
    expect: { do: "ack-duplicate", row: done(), cause: "redelivery" },
  },
  { name: "DONE, same msgId, ours, attempt 2 → ack, redelivery (no registry read)", row: done({ owner: ME }), facts: { attempt: 2 }, expect: { do: "ack-duplicate", row: done({ owner: ME }), cause: "redelivery" } },
  {
    name: "DONE, replay facts read for another claim of the key → read them again for this one",
    row: done({ claimedAt: new Date(NOW) }),
    facts: { replay: replayOf(done(), true) },
    expect: { do: "read-replay-facts", row: done({ claimedAt: new Date(NOW) }) },
  },

  // ---- CLAIMED with our token ----
  { name: "CLAIMED ours, lease valid → reclaim (fence + 1)", row: claim({ owner: ME }), expect: { do: "reclaim-own", row: claim({ owner: ME }), fence: 4 } },
  { name: "CLAIMED ours, lease expired, hold policy → reclaim (fence + 1)", row: expired({ owner: ME }), policy: HOLD, expect: { do: "reclaim-own", row: expired({ owner: ME }), fence: 4 } },

  // ---- CLAIMED by another worker, lease valid ----
  { name: "CLAIMED theirs, lease valid, not noted → note the sighting", row: claim(), expect: { do: "note-sighting" } },
  { name: "CLAIMED theirs, lease valid, noted → wait", row: claim(), facts: { noted: { sighting: true } }, expect: { do: "wait" } },
  { name: "CLAIMED theirs, lease valid, hold policy → wait", row: claim(), facts: { noted: { sighting: true } }, policy: HOLD, expect: { do: "wait" } },

  // ---- CLAIMED by another worker, lease expired: takeover ----
  {
    name: "expired theirs, takeover, other msgId → take over (fence + 1), producer resend",
    row: expired(),
    facts: { msgId: "M2" },
    expect: { do: "takeover", row: expired(), fence: 4, cause: "producer_resend" },
  },
  { name: "expired theirs, takeover, same msgId, registry not read → read replay facts", row: expired(), expect: { do: "read-replay-facts", row: expired() } },
  {
    name: "expired theirs, takeover, owner gone → take over, rebalance replay",
    row: expired(),
    facts: { replay: replayOf(expired(), true) },
    expect: { do: "takeover", row: expired(), fence: 4, cause: "rebalance_replay" },
  },
  {
    name: "expired theirs, takeover, attempt 3, owner alive → take over, redelivery",
    row: expired(),
    facts: { attempt: 3, replay: replayOf(expired(), false) },
    expect: { do: "takeover", row: expired(), fence: 4, cause: "redelivery" },
  },

  // ---- CLAIMED by another worker, lease expired: hold ----
  { name: "expired theirs, hold, expiry not noted → note the expiry", row: expired(), policy: HOLD, expect: { do: "note-expiry", row: expired() } },
  {
    name: "expired theirs, hold, noted, hold wait not over → wait",
    row: expired(),
    facts: { noted: { expiry: true } },
    policy: HOLD,
    clock: { now: NOW, holdSince: NOW - 59_999 },
    expect: { do: "wait" },
  },
  {
    name: "expired theirs, hold, noted, hold wait over → defer",
    row: expired(),
    facts: { noted: { expiry: true } },
    policy: HOLD,
    clock: { now: NOW, holdSince: NOW - 60_000 },
    expect: { do: "defer", row: expired() },
  },
  {
    name: "expired theirs, hold with no wait, just noted → defer at once",
    row: expired(),
    facts: { noted: { expiry: true } },
    policy: { expiredLease: "hold", holdWaitMs: 0 },
    clock: { now: NOW, holdSince: NOW },
    expect: { do: "defer", row: expired() },
  },
];

describe("decide(claimRow, delivery, policy, clock)", () => {
  it.each(table)("$name", (t) => {
    expect(decide(t.row, facts(t.facts), t.policy ?? TAKEOVER, t.clock ?? { now: NOW })).toEqual(t.expect);
  });

  it("covers every kind of decision", () => {
    const kinds = new Set(table.map((t) => t.expect.do));
    expect([...kinds].sort()).toEqual(
      ["ack-duplicate", "claim", "defer", "note-expiry", "note-mismatch", "note-sighting", "read-replay-facts", "reclaim-own", "takeover", "wait", "wait-here"].sort(),
    );
  });
});

describe("afterRun(handler result)", () => {
  const busy = new Error("connection reset");
  class OutOfStock extends UnrecoverableError {}
  // A second copy of the package has its own class: recognised by name.
  const foreign = Object.assign(new Error("order cancelled"), { name: "UnrecoverableError" });
  it.each([
    ["handler returned → commit", { ok: true as const }, { do: "commit" }],
    ["handler threw → release (the redelivery runs again)", { ok: false as const, error: busy }, { do: "release", error: busy }],
    ["handler threw a non-Error → release", { ok: false as const, error: "boom" }, { do: "release", error: "boom" }],
    ["handler threw UnrecoverableError → reject with its message", { ok: false as const, error: new UnrecoverableError("out of stock") }, { do: "reject", reason: "out of stock" }],
    ["a subclass of UnrecoverableError → reject", { ok: false as const, error: new OutOfStock("sku 7 sold out") }, { do: "reject", reason: "sku 7 sold out" }],
    ["an UnrecoverableError of another copy of the package → reject", { ok: false as const, error: foreign }, { do: "reject", reason: "order cancelled" }],
  ])("%s", (_name, result, expected) => {
    expect(afterRun(result)).toEqual(expected);
  });
});

describe("classifyCause", () => {
  const base: CauseFacts = { msgId: "M1", attempt: 1, firstMsgId: "M1", ownClaim: false };
  it.each<[string, CauseFacts, ReturnType<typeof classifyCause>]>([
    ["another msgId wins over every registry fact", { ...base, msgId: "M2", replay: { ownerGone: true, rebalanced: true } }, "producer_resend"],
    ["their claim, owner gone", { ...base, replay: { ownerGone: true, rebalanced: false } }, "rebalance_replay"],
    ["their claim, attempt 2, owner gone", { ...base, attempt: 2, replay: { ownerGone: true, rebalanced: false } }, "rebalance_replay"],
    ["our claim, owner gone does not count (it is us)", { ...base, ownClaim: true, replay: { ownerGone: true, rebalanced: false } }, "unknown"],
    ["first attempt after a rebalance", { ...base, ownClaim: true, replay: { ownerGone: false, rebalanced: true } }, "rebalance_replay"],
    ["a rebalance does not explain attempt 2", { ...base, attempt: 2, replay: { ownerGone: false, rebalanced: true } }, "redelivery"],
    ["attempt 2 without registry facts", { ...base, attempt: 2 }, "redelivery"],
    ["attempt 1, nothing known", base, "unknown"],
  ])("%s", (_name, f, cause) => {
    expect(classifyCause(f)).toBe(cause);
  });

  it("asks for registry facts only when they can change the answer", () => {
    expect(needsReplayFacts({ ...base, msgId: "M2" })).toBe(false);
    expect(needsReplayFacts({ ...base, ownClaim: true, attempt: 2 })).toBe(false);
    expect(needsReplayFacts({ ...base, ownClaim: true, attempt: 1 })).toBe(true);
    expect(needsReplayFacts({ ...base, attempt: 5 })).toBe(true);
  });
});
