/**
 * Findings of the chaos run: the registry and the broker see membership changes at
 * different moments, and a replay that falls between the two must still be a rebalance replay.
 *  - In v4 mode a queue can move away from a worker and back, replaying what that same worker
 *    acked — same msgId, same attempt, the claim is its own. The broker counts a redelivery up,
 *    so a copy met before at the same attempt is a rebalance replay, whatever the registry says.
 *  - A worker records its join before its consumer takes queues, so the queues move *after* the
 *    join: claims made in between are replayed to it, with the join just before the claim.
 *  - The broker notices a killed client (closed connection) before the registry's worker timeout,
 *    so the dead worker's messages come back while it is still "live" with a late heartbeat: a
 *    holder that missed heartbeats for half the timeout is gone — and one killed between its
 *    commit and its ack, before it missed any heartbeat, is told by its ack: only an ack the
 *    broker refused brings a finished copy back as a redelivery.
 * Each case drives the processors directly, the registry clock set by explicit heartbeats.
 */
import type { RowDataPacket } from "mysql2/promise";
import { describe, expect, it } from "vitest";
import type { DedupProcessor } from "@dedup-audit/runtime";
import { delivery, eventCounts, sleep, uniqueName } from "../support/deliveries";
import { useProcessorTestFile } from "../support/processors";

const ctx = useProcessorTestFile();

/** Heartbeats only when a test calls heartbeatNow(), so ages in the registry are the test's. */
async function worker(group: string, workerTimeoutS = 60): Promise<DedupProcessor> {
  return ctx.start({ group, topic: "orders", mode: "lease", handler: async () => {}, pool: ctx.db.pool, heartbeatS: 60, workerTimeoutS, replayWindowS: 300, retentionIntervalS: 0, redis: false });
}

const TIMEOUT_S = 2;

/** Workers whose joins are older than a worker timeout and whose heartbeats are fresh: a calm group. */
async function calmGroup(group: string, n: number): Promise<DedupProcessor[]> {
  const ws: DedupProcessor[] = [];
  for (let i = 0; i < n; i++) ws.push(await worker(group, TIMEOUT_S));
  const joinsOld = Date.now() + TIMEOUT_S * 1000 + 200;
  while (Date.now() < joinsOld) {
    for (const w of ws) await w.heartbeatNow();
    await sleep(200);
  }
  for (const w of ws) await w.heartbeatNow();
  const [[e]] = await ctx.db.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM rebalance_event WHERE consumer_group = ? AND kind <> 'join'", [group]);
  expect(Number(e.n)).toBe(0); // nobody timed out or re-joined while we waited
  return ws;
}

const duplicateAck = { ack: true, outcome: "duplicate" };

describe("cause of a replay of the worker's own claim", () => {
  it("is rebalance_replay, with or without a rebalance recorded since the claim", async () => {
    const group = uniqueName("own-replay");
    const a = await worker(group);
    const first = delivery({ key: "k-1" });
    const quiet = delivery({ key: "k-2" });
    expect((await a.process(first)).outcome).toBe("committed");
    expect((await a.process(quiet)).outcome).toBe("committed");
    expect(await a.process({ ...quiet })).toEqual(duplicateAck); // only its own join, before the claim
    await sleep(5);
    await worker(group); // a join: v4 queues move, then move back to A
    expect(await a.process({ ...first })).toEqual(duplicateAck);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/rebalance_replay/acked_duplicate": 2 });
  });
});

describe("cause of a replay when registry and broker disagree on timing", () => {
  it("is rebalance_replay for a claim made after a join the new consumer had not acted on yet", async () => {
    const group = uniqueName("join-lag");
    const [a, b] = await calmGroup(group, 2);
    await worker(group, TIMEOUT_S); // C's join is recorded; its consumer takes queues later
    const m = delivery({ key: "after-join" });
    expect((await a.process(m)).outcome).toBe("committed"); // A claims after C's join
    // C's first QueryAssignment moves A's queue: the acked message comes again, attempt 1.
    expect(await b.process({ ...m })).toEqual(duplicateAck);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/rebalance_replay/acked_duplicate": 1 });
  });

  it("is rebalance_replay when the owner died and the broker moved its queues before the worker timeout", async () => {
    const group = uniqueName("early-death");
    const [a, k] = await calmGroup(group, 2);
    const quiet = delivery({ key: "quiet" });
    const replayed = delivery({ key: "replayed" });
    const redelivered = delivery({ key: "redelivered" });
    const resent = delivery({ key: "resent" });
    for (const m of [quiet, replayed, redelivered, resent]) expect((await k.process(m)).outcome).toBe("committed");
    // Nothing changed around the claim, but the attempt did not count up: a replay all the same.
    expect(await a.process({ ...quiet })).toEqual(duplicateAck);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/rebalance_replay/acked_duplicate": 1 });

    // K is killed: no more heartbeats. The broker drops it (closed connection) and replays its
    // acked messages while the registry still has K live, its heartbeat late but not timed out.
    await sleep(TIMEOUT_S * 600);
    await a.heartbeatNow(); // A is fresh; its timeout scan does not declare K dead yet
    expect(await a.process({ ...replayed })).toEqual(duplicateAck);
    // A broker redelivery (attempt 2) of what K held: K missed heartbeats for half the timeout
    // and gave no sign of life after committing it, so it died holding it…
    expect(await a.process({ ...redelivered, deliveryAttempt: 2 })).toEqual(duplicateAck);
    // …and a new msgId for the same key is still the producer's resend.
    expect(await a.process({ ...delivery({ key: "resent" }) })).toEqual(duplicateAck);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({
      "duplicate/rebalance_replay/acked_duplicate": 3,
      "duplicate/producer_resend/acked_duplicate": 1,
    });
  });

  it("is redelivery when the owner's ack was refused, rebalance_replay when it died between commit and ack", async () => {
    const group = uniqueName("killed-before-ack");
    const [a, k] = await calmGroup(group, 2);
    const ackRefused = delivery({ key: "ack-refused" });
    const neverAcked = delivery({ key: "never-acked" });
    expect((await k.process(ackRefused)).outcome).toBe("committed");
    await k.noteAckRefused([ackRefused.msgId]); // the broker answered "receipt handle is expired"
    expect((await k.process(neverAcked)).outcome).toBe("committed"); // then K is killed before this ack
    // Both copies come back at attempt 2 right away, while K's last heartbeat is still fresh.
    expect(await a.process({ ...ackRefused, deliveryAttempt: 2 })).toEqual(duplicateAck);
    expect(await a.process({ ...neverAcked, deliveryAttempt: 2 })).toEqual(duplicateAck);
    const [causes] = await ctx.db.pool.query<RowDataPacket[]>("SELECT dedup_key, cause FROM dedup_event WHERE consumer_group = ? AND kind = 'duplicate' ORDER BY id", [group]);
    expect(causes.map((r) => [String(r.dedup_key), r.cause])).toEqual([
      ["ack-refused", "redelivery"],
      ["never-acked", "rebalance_replay"],
    ]);
  });
});
