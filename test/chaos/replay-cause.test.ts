/**
 * Must show (a finding of the chaos run): in v4 mode a queue can move away from a worker and back,
 * replaying what that same worker acked — same msgId, attempt 1, the claim is its own. After a
 * rebalance of the group that is a rebalance replay, not "unknown"; without a rebalance since the
 * claim it stays unknown (nothing explains it).
 */
import { describe, expect, it } from "vitest";
import type { DedupProcessor } from "../../lib/dedup/processor";
import { delivery, eventCounts, sleep, uniqueName } from "../../lib/dedup/test/fixtures";
import { useProcessorTestFile } from "../helpers/processors";

const ctx = useProcessorTestFile();

async function worker(group: string): Promise<DedupProcessor> {
  return ctx.start({ group, topic: "orders", mode: "lease", handler: async () => {}, pool: ctx.db.pool, heartbeatS: 60, workerTimeoutS: 60, replayWindowS: 300, retentionIntervalS: 0, redis: false });
}

describe("cause of a replay of the worker's own claim", () => {
  it("is rebalance_replay after a rebalance since the claim, unknown without one", async () => {
    const group = uniqueName("own-replay");
    const a = await worker(group);
    const first = delivery({ key: "k-1" });
    const quiet = delivery({ key: "k-2" });
    expect((await a.process(first)).outcome).toBe("committed");
    expect((await a.process(quiet)).outcome).toBe("committed");
    expect(await a.process({ ...quiet })).toEqual({ ack: true, outcome: "duplicate" }); // no rebalance yet
    await sleep(5);
    await worker(group); // a join: v4 queues move, then move back to A
    expect(await a.process({ ...first })).toEqual({ ack: true, outcome: "duplicate" });
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "duplicate/unknown/acked_duplicate": 1, "duplicate/rebalance_replay/acked_duplicate": 1 });
  });
});
