/**
 * The claim state machine's transitions, one table row each: the claim row seen (none, DONE,
 * CLAIMED ours / theirs, lease valid / expired), the delivery's facts, the group policy and the
 * clock in, the decision out. Pure: no database, no clock.
 */
import { describe, expect, it } from "vitest";
import type { HolderFacts, MembershipFacts } from "../src/claim/cause";
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
const CAUSE_WAIT_MS = 15_000;
const TAKEOVER: GroupPolicy = { expiredLease: "takeover", holdWaitMs: 60_000, causeWaitMs: CAUSE_WAIT_MS };
const HOLD: GroupPolicy = { expiredLease: "hold", holdWaitMs: 60_000, causeWaitMs: CAUSE_WAIT_MS };
/** Nothing written down before this delivery wrote its msgId down. */
const UNSEEN = { seen: {} };
const FINISHED_AT = new Date(NOW - 5_000);
/** Committed it and acked; the broker refused the ack. */
const ackRefused: HolderFacts = { self: false, registered: true, gone: false, finished: true, ackRefused: true, finishedAgoMs: 2_000, aliveSince: false };
/** Held it unfinished and is registered, not overdue, not heard from since: just killed, or alive. */
const silent: HolderFacts = { self: false, registered: true, gone: false, finished: false, ackRefused: false, aliveSince: false };
const dead: HolderFacts = { ...silent, gone: true };
const unregistered: HolderFacts = { ...silent, registered: false };
/**
 * The registry's answer about `holder` (undefined: none known) for the claim `row`, first read
 * `askedAgoMs` before now.
 */
const registryOf = (row: ClaimRow, holder: string | undefined, facts: Pick<MembershipFacts, "memberRecentlyGone"> & Partial<MembershipFacts>, askedAgoMs = 0) => ({
  claimId: row.id,
  holder,
  facts: { othersAliveSince: false, asOf: new Date(NOW - askedAgoMs), ...facts },
  since: new Date(NOW - askedAgoMs),
  firstAskedAt: NOW - askedAgoMs,
});

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
    name: "no row after someone else's claim, history not read → write the msgId down, learn its history",
    facts: { msgId: "M2", othersRow: claim() },
    expect: { do: "note-seen-msg", finished: false },
  },
  {
    name: "no row after someone else's claim, msgId never met (resend) → claim as a duplicate hit claimed after release",
    facts: { msgId: "M2", othersRow: claim(), ...UNSEEN },
    expect: { do: "claim", hit: { cause: "producer_resend", outcome: "claimed_after_release" } },
  },
  {
    name: "no row after someone else's claim, its msgId at the next attempt, registry not read → read the cause facts about its owner",
    facts: { attempt: 2, othersRow: claim(), ...UNSEEN },
    expect: { do: "read-cause-facts", row: claim(), holder: { id: THEM } },
  },
  {
    name: "no row after someone else's claim whose owner died holding it → claim, hit rebalance replay",
    facts: { attempt: 2, othersRow: claim(), ...UNSEEN, registry: registryOf(claim(), THEM, { holder: dead, memberRecentlyGone: true }) },
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
    facts: { msgId: "M2", payloadHash: OTHER_HASH, noted: { mismatch: true }, ...UNSEEN },
    expect: { do: "ack-duplicate", row: done(), cause: "producer_resend" },
  },

  // ---- DONE: ack as a duplicate, by cause (cause.test.ts has the classifier's full table) ----
  { name: "DONE, history not read → write the msgId down as finished, learn its history", row: done(), facts: { msgId: "M2" }, expect: { do: "note-seen-msg", finished: true } },
  { name: "DONE, msgId never met, attempt 1 → ack, producer resend", row: done(), facts: { msgId: "M2", ...UNSEEN }, expect: { do: "ack-duplicate", row: done(), cause: "producer_resend" } },
  {
    name: "DONE, its first msgId again at attempt 1 → ack, rebalance replay (no registry read: only a queue move repeats an attempt)",
    row: done({ owner: ME }),
    facts: UNSEEN,
    expect: { do: "ack-duplicate", row: done({ owner: ME }), cause: "rebalance_replay" },
  },
  {
    name: "DONE, a msgId written down at attempt 2, now at attempt 2 again → ack, rebalance replay",
    row: done(),
    facts: { msgId: "M2", attempt: 2, seen: { prior: { attempt: 2, holder: THEM } } },
    expect: { do: "ack-duplicate", row: done(), cause: "rebalance_replay" },
  },
  { name: "DONE, its first msgId at attempt 2, registry not read → read the cause facts about the claim's owner", row: done(), facts: { attempt: 2, ...UNSEEN }, expect: { do: "read-cause-facts", row: done(), holder: { id: THEM } } },
  {
    name: "DONE, a msgId written down before, next attempt → read the cause facts about its last holder and when it finished",
    row: done(),
    facts: { msgId: "M2", attempt: 3, seen: { prior: { attempt: 2, holder: "worker-x", finishedAt: FINISHED_AT } } },
    expect: { do: "read-cause-facts", row: done(), holder: { id: "worker-x", finishedAt: FINISHED_AT } },
  },
  {
    name: "DONE, next attempt, the holder's ack was refused → ack, redelivery",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: ackRefused, memberRecentlyGone: true }) },
    expect: { do: "ack-duplicate", row: done(), cause: "redelivery" },
  },
  {
    name: "DONE, next attempt, holder died holding it → ack, rebalance replay",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: dead, memberRecentlyGone: false }) },
    expect: { do: "ack-duplicate", row: done(), cause: "rebalance_replay" },
  },
  {
    name: "DONE, next attempt, holder not in the registry → ack, unknown",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: unregistered, memberRecentlyGone: false }) },
    expect: { do: "ack-duplicate", row: done(), cause: "unknown" },
  },
  {
    name: "DONE, a msgId never met at attempt 2, no holder known → read the group's cause facts",
    row: done(),
    facts: { msgId: "M2", attempt: 2, ...UNSEEN },
    expect: { do: "read-cause-facts", row: done(), holder: undefined },
  },
  {
    name: "DONE, a msgId never met at attempt 2, a member just died → ack, rebalance replay",
    row: done(),
    facts: { msgId: "M2", attempt: 2, ...UNSEEN, registry: registryOf(done(), undefined, { memberRecentlyGone: true }) },
    expect: { do: "ack-duplicate", row: done(), cause: "rebalance_replay" },
  },
  {
    name: "DONE, next attempt, holder finished a moment ago and no refusal is written yet → read again after a pause",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: { ...ackRefused, ackRefused: false, finishedAgoMs: 300 }, memberRecentlyGone: false }) },
    expect: { do: "read-cause-facts", row: done(), holder: { id: THEM }, again: true },
  },
  {
    name: "DONE, next attempt, holder finished and still no refusal when the wait is over → ack, rebalance replay (the broker took its ack)",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: { ...ackRefused, ackRefused: false, finishedAgoMs: 300 }, memberRecentlyGone: false }, CAUSE_WAIT_MS) },
    expect: { do: "ack-duplicate", row: done(), cause: "rebalance_replay" },
  },
  {
    name: "DONE, next attempt, holder held it unfinished and the registry cannot tell its life yet → read again after a pause",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: silent, memberRecentlyGone: false }) },
    expect: { do: "read-cause-facts", row: done(), holder: { id: THEM }, again: true },
  },
  {
    name: "DONE, next attempt, holder gave a sign of life since the first reading → ack, redelivery",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: { ...silent, aliveSince: true }, memberRecentlyGone: false }, 2_000) },
    expect: { do: "ack-duplicate", row: done(), cause: "redelivery" },
  },
  {
    name: "DONE, next attempt, holder became overdue while waiting → ack, rebalance replay",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: { ...silent, gone: true }, memberRecentlyGone: true }, 2_000) },
    expect: { do: "ack-duplicate", row: done(), cause: "rebalance_replay" },
  },
  {
    name: "DONE, next attempt, holder still neither heard from nor overdue when the wait is over → ack, redelivery",
    row: done(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: silent, memberRecentlyGone: false }, CAUSE_WAIT_MS) },
    expect: { do: "ack-duplicate", row: done(), cause: "redelivery" },
  },
  {
    name: "DONE, a msgId never met at attempt 2, no member gone, not all heard from since → read again after a pause",
    row: done(),
    facts: { msgId: "M2", attempt: 2, ...UNSEEN, registry: registryOf(done(), undefined, { memberRecentlyGone: false }) },
    expect: { do: "read-cause-facts", row: done(), holder: undefined, again: true },
  },
  {
    name: "DONE, a msgId never met at attempt 2, every member alive since the first reading → ack, redelivery",
    row: done(),
    facts: { msgId: "M2", attempt: 2, ...UNSEEN, registry: registryOf(done(), undefined, { memberRecentlyGone: false, othersAliveSince: true }, 2_000) },
    expect: { do: "ack-duplicate", row: done(), cause: "redelivery" },
  },
  {
    name: "DONE, cause facts read for another claim of the key → read them again for this one",
    row: done({ id: 8 }),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(done(), THEM, { holder: dead, memberRecentlyGone: false }) },
    expect: { do: "read-cause-facts", row: done({ id: 8 }), holder: { id: THEM } },
  },

  // ---- CLAIMED with our token ----
  { name: "CLAIMED ours, lease valid → reclaim (fence + 1)", row: claim({ owner: ME }), expect: { do: "reclaim-own", row: claim({ owner: ME }), fence: 4 } },
  // Ours and expired: our run ended with its outcome unknown (afterRun's end-lease): the policy decides, as for anyone's.
  { name: "CLAIMED ours, lease expired, takeover policy → take over (fence + 1, recorded), not a silent reclaim", row: expired({ owner: ME }), facts: { msgId: "M2", ...UNSEEN }, expect: { do: "takeover", row: expired({ owner: ME }), fence: 4, cause: "producer_resend" } },
  { name: "CLAIMED ours, lease expired, hold policy → note the expiry (held for an operator)", row: expired({ owner: ME }), policy: HOLD, expect: { do: "note-expiry", row: expired({ owner: ME }) } },

  // ---- CLAIMED by another worker, lease valid ----
  { name: "CLAIMED theirs, lease valid, not noted → note the sighting", row: claim(), expect: { do: "note-sighting" } },
  { name: "CLAIMED theirs, lease valid, noted → wait", row: claim(), facts: { noted: { sighting: true } }, expect: { do: "wait" } },
  { name: "CLAIMED theirs, lease valid, hold policy → wait", row: claim(), facts: { noted: { sighting: true } }, policy: HOLD, expect: { do: "wait" } },

  // ---- CLAIMED by another worker, lease expired: takeover ----
  { name: "expired theirs, takeover, history not read → write the msgId down, learn its history", row: expired(), expect: { do: "note-seen-msg", finished: false } },
  {
    name: "expired theirs, takeover, msgId never met → take over (fence + 1), producer resend",
    row: expired(),
    facts: { msgId: "M2", ...UNSEEN },
    expect: { do: "takeover", row: expired(), fence: 4, cause: "producer_resend" },
  },
  { name: "expired theirs, takeover, next attempt, registry not read → read the cause facts", row: expired(), facts: { attempt: 2, ...UNSEEN }, expect: { do: "read-cause-facts", row: expired(), holder: { id: THEM } } },
  {
    name: "expired theirs, takeover, owner died holding it → take over, rebalance replay",
    row: expired(),
    facts: { attempt: 2, ...UNSEEN, registry: registryOf(expired(), THEM, { holder: dead, memberRecentlyGone: true }) },
    expect: { do: "takeover", row: expired(), fence: 4, cause: "rebalance_replay" },
  },
  {
    name: "expired theirs, takeover, attempt 3 (attempt 2 never reached us), membership calm (all heard from since) → take over, redelivery",
    row: expired(),
    facts: { attempt: 3, ...UNSEEN, registry: registryOf(expired(), THEM, { holder: dead, memberRecentlyGone: false, othersAliveSince: true }, 1_000) },
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
    policy: { ...HOLD, holdWaitMs: 0 },
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
      ["ack-duplicate", "claim", "defer", "note-expiry", "note-mismatch", "note-seen-msg", "note-sighting", "read-cause-facts", "reclaim-own", "takeover", "wait", "wait-here"].sort(),
    );
  });
});

describe("afterRun(handler result)", () => {
  const busy = new Error("connection reset");
  // Errors that leave the effect's outcome unknown: the handler's connection went away mid-run.
  const lost = Object.assign(new Error("Lost connection to server during query"), { errno: 2013 });
  const notReady = Object.assign(new Error("WSREP has not yet prepared node for application use"), { errno: 1047 });
  const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  class OutOfStock extends UnrecoverableError {}
  // A second copy of the package has its own class: recognised by name.
  const foreign = Object.assign(new Error("order cancelled"), { name: "UnrecoverableError" });
  it.each([
    ["handler returned → commit", { ok: true as const }, { do: "commit" }],
    ["handler threw → release (the redelivery runs again)", { ok: false as const, error: busy }, { do: "release", error: busy }],
    ["handler threw a non-Error → release", { ok: false as const, error: "boom" }, { do: "release", error: "boom" }],
    ["handler lost its database connection (2013) → end the lease, keep the claim", { ok: false as const, error: lost }, { do: "end-lease", error: lost }],
    ["handler's node not in the primary component (1047) → end the lease", { ok: false as const, error: notReady }, { do: "end-lease", error: notReady }],
    ["handler's connection reset (ECONNRESET, e.g. an HTTP call) → end the lease", { ok: false as const, error: reset }, { do: "end-lease", error: reset }],
    ["handler threw UnrecoverableError → reject with its message", { ok: false as const, error: new UnrecoverableError("out of stock") }, { do: "reject", reason: "out of stock" }],
    ["a subclass of UnrecoverableError → reject", { ok: false as const, error: new OutOfStock("sku 7 sold out") }, { do: "reject", reason: "sku 7 sold out" }],
    ["an UnrecoverableError of another copy of the package → reject", { ok: false as const, error: foreign }, { do: "reject", reason: "order cancelled" }],
  ])("%s", (_name, result, expected) => {
    expect(afterRun(result)).toEqual(expected);
  });
});
