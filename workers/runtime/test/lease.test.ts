/**
 * Lease mode against real MariaDB: claim → run → commit, duplicates with their causes, waiting
 * on in-flight claims, release on error, takeover / hold of expired leases, fences.
 */
import pino from "pino";
import { describe, expect, it } from "vitest";
import { useProcessorTestFile } from "../../../test/support/processors";
import { SQL_DIALECTS } from "../../../test/support/sql-dialects";
import { markDoneIfFence, releaseClaimIfFence } from "../src/operator";
import { createDedupProcessor, type DedupProcessorOptions } from "../src/worker/processor";
import { delivery, eventCounts, rows, sleep, uniqueName } from "../../../test/support/deliveries";
import type { KeyedDelivery, LeaseHandler } from "../src/types";

const ctx = useProcessorTestFile();

async function startWorker(group: string, handler: LeaseHandler, extra: Partial<DedupProcessorOptions> = {}) {
  return ctx.start({
    group,
    topic: "orders",
    mode: "lease",
    handler,
    pool: ctx.db.pool,
    leaseS: 1,
    heartbeatS: 0.3,
    workerTimeoutS: 1,
    replayWindowS: 300,
    holdWaitS: 60,
    flushIntervalS: 0.2,
    pollInitialMs: 20,
    pollMaxMs: 100,
    retentionIntervalS: 0,
    redis: false,
    ...extra,
  } as DedupProcessorOptions);
}

function claimOf(group: string, key: string) {
  return rows(ctx.db.pool, "SELECT * FROM dedup_claim WHERE consumer_group = ? AND dedup_key = ?", [group, Buffer.from(key)]);
}

describe.each(SQL_DIALECTS)("lease mode, %s claim SQL", (sqlDialect) => {
  const worker = (group: string, handler: LeaseHandler, extra: Partial<DedupProcessorOptions> = {}) => startWorker(group, handler, { sqlDialect, ...extra });

  it("starts on the claim SQL path it was given (RETURNING only for auto on MariaDB)", async () => {
    const records: { msg?: string; returning?: boolean }[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void records.push(JSON.parse(line)) });
    await worker(uniqueName("g"), async () => {}, { log });
    expect(records.find((r) => r.msg === "dedup worker started")?.returning).toBe(sqlDialect === "auto");
  });

  it("commits a first delivery with only its claim row and no event", async () => {
    const group = uniqueName("g");
    const seen: string[] = [];
    const w = await worker(group, async (m) => void seen.push(m.key.toString()));
    const v = await w.process(delivery({ key: "order-1" }));
    expect(v).toEqual({ ack: true, outcome: "committed" });
    expect(seen).toEqual(["order-1"]);
    const [c] = await claimOf(group, "order-1");
    expect(c.state).toBe("DONE");
    expect(c.key_source).toBe("key");
    expect(Number(c.fence)).toBe(1);
    expect(c.done_at).toBeInstanceOf(Date);
    expect(c.expire_at.getTime()).toBeGreaterThan(c.claimed_at.getTime() + 6 * 86_400_000);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({});
  });

  it("acks duplicates of a DONE key with their cause, without running the handler again", async () => {
    const group = uniqueName("g");
    let runs = 0;
    const w = await worker(group, async () => void runs++);
    const first = delivery({ key: "order-2" });
    await w.process(first);
    // same msgId after the broker refused its ack → redelivery; new msgId → producer resend;
    // same msgId at an attempt met before → rebalance replay (only a queue move repeats an attempt)
    await w.noteAckRefused([first.msgId]);
    expect(await w.process({ ...first, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "duplicate" });
    expect(await w.process(delivery({ key: "order-2", body: first.body }))).toEqual({ ack: true, outcome: "duplicate" });
    expect(await w.process({ ...first })).toEqual({ ack: true, outcome: "duplicate" });
    expect(runs).toBe(1);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({
      "duplicate/redelivery/acked_duplicate": 1,
      "duplicate/producer_resend/acked_duplicate": 1,
      "duplicate/rebalance_replay/acked_duplicate": 1,
    });
    const [c] = await claimOf(group, "order-2");
    expect(Number(c.attempts)).toBe(4);
    await w.flushStats();
    const [t] = await rows(ctx.db.pool, "SELECT * FROM group_totals WHERE consumer_group = ?", [group]);
    expect([Number(t.consumed), Number(t.claims), Number(t.commits)]).toEqual([4, 1, 1]);
    expect([Number(t.dup_redelivery), Number(t.dup_producer_resend), Number(t.dup_rebalance_replay), Number(t.dup_unknown)]).toEqual([1, 1, 1, 0]);
  });

  it("records a payload mismatch and still deduplicates", async () => {
    const group = uniqueName("g");
    let runs = 0;
    const w = await worker(group, async () => void runs++);
    await w.process(delivery({ key: "order-3", body: Buffer.from("a") }));
    expect((await w.process(delivery({ key: "order-3", body: Buffer.from("b") }))).ack).toBe(true);
    expect(runs).toBe(1);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ payload_mismatch: 1, "duplicate/producer_resend/acked_duplicate": 1 });
  });

  it("releases the claim on handler error so the redelivery claims again", async () => {
    const group = uniqueName("g");
    let calls = 0;
    const w = await worker(group, async () => {
      if (++calls === 1) throw new Error("payment API 503");
    });
    const d = delivery({ key: "order-4" });
    expect(await w.process(d)).toMatchObject({ ack: false, outcome: "released" });
    expect(await claimOf(group, "order-4")).toEqual([]);
    expect(await w.process({ ...d, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "committed" });
    expect(calls).toBe(2);
    const ev = await rows(ctx.db.pool, "SELECT kind, detail FROM dedup_event WHERE consumer_group = ?", [group]);
    expect(ev).toEqual([{ kind: "released_on_error", detail: "payment API 503" }]);
  });

  it("keeps the claim of a handler that lost its connection (outcome unknown): the next run is a recorded takeover under fence 2", async () => {
    const group = uniqueName("g");
    const fences: number[] = [];
    const w = await worker(
      group,
      async (_m, { fence }) => {
        fences.push(fence);
        // The effect happened, then the connection died before the handler could tell.
        if (fences.length === 1) throw Object.assign(new Error("Connection lost: The server closed the connection."), { code: "PROTOCOL_CONNECTION_LOST", errno: 2013 });
      },
      { policy: "takeover" },
    );
    const d = delivery({ key: "order-4b" });
    expect(await w.process(d)).toMatchObject({ ack: false, outcome: "lease_ended" });
    const [kept] = await claimOf(group, "order-4b");
    expect([kept.state, Number(kept.fence), kept.owner]).toEqual(["CLAIMED", 1, w.workerId]);
    expect(new Date(kept.lease_until).getTime()).toBeLessThan(Date.now());
    // The redelivery comes back to the same worker: not a silent re-run under fence 1, a takeover.
    expect(await w.process({ ...d, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "committed" });
    expect(fences).toEqual([1, 2]);
    const [c] = await claimOf(group, "order-4b");
    expect([c.state, Number(c.fence)]).toEqual(["DONE", 2]);
    const ev = await rows(ctx.db.pool, "SELECT kind, outcome, fence FROM dedup_event WHERE consumer_group = ? AND kind IN ('released_on_error', 'takeover') ORDER BY id", [group]);
    expect(ev.map((e) => [e.kind, e.outcome, Number(e.fence)])).toEqual([
      ["released_on_error", "lease_ended", 1],
      ["takeover", null, 2],
    ]);
  });

  it("makes an in-flight duplicate on another worker wait, and run it if the first copy fails", async () => {
    const group = uniqueName("g");
    let gate!: (fail: boolean) => void;
    const firstRuns = new Promise<boolean>((r) => (gate = r));
    const effects: string[] = [];
    const a = await worker(group, async (m) => {
      if (await firstRuns) throw new Error("first copy failed");
      effects.push(`a:${m.msgId}`);
    });
    const b = await worker(group, async (m) => void effects.push(`b:${m.msgId}`));
    const d = delivery({ key: "order-5" });
    const pa = a.process(d);
    await sleep(50);
    let settledB = false;
    const pb = b.process({ ...d, deliveryAttempt: 2 }).finally(() => (settledB = true));
    await sleep(400);
    expect(settledB).toBe(false); // waiting, not acked and not bounced
    gate(true);
    expect(await pa).toMatchObject({ ack: false, outcome: "released" });
    expect(await pb).toEqual({ ack: true, outcome: "committed" });
    expect(effects).toEqual([`b:${d.msgId}`]);
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["inflight/waiting"]).toBe(1);
    expect(ev["released_on_error/released"]).toBe(1);
    expect(ev["rerun/redelivery/claimed_after_release"]).toBe(1);
  });

  it("lets an in-flight duplicate ack as duplicate once the first copy commits", async () => {
    const group = uniqueName("g");
    let runs = 0;
    const a = await worker(group, async () => {
      runs++;
      await sleep(1500); // longer than the 1 s lease: the lease heartbeat must keep it
    });
    const b = await worker(group, async () => void runs++);
    const d = delivery({ key: "order-6" });
    const pa = a.process(d);
    await sleep(50);
    const pb = b.process(delivery({ key: "order-6", body: d.body }));
    expect(await pa).toEqual({ ack: true, outcome: "committed" });
    expect(await pb).toEqual({ ack: true, outcome: "duplicate" });
    expect(runs).toBe(1);
    expect(await eventCounts(ctx.db.pool, group)).toEqual({ "inflight/waiting": 1, "duplicate/producer_resend/acked_duplicate": 1 });
  });

  it("waits in memory for a second copy of a key this worker is already running", async () => {
    const group = uniqueName("g");
    let runs = 0;
    const w = await worker(group, async () => {
      runs++;
      await sleep(100);
    });
    const d = delivery({ key: "order-7" });
    const [v1, v2] = await Promise.all([w.process(d), w.process({ ...d, deliveryAttempt: 2 })]);
    expect([v1.outcome, v2.outcome].sort()).toEqual(["committed", "duplicate"]);
    expect(runs).toBe(1);
  });

  it("takes over an expired claim of a dead worker (fence + 1, cause rebalance_replay); the old owner cannot commit", async () => {
    const group = uniqueName("g");
    // A worker that claims and then stops heart-beating: its lease runs out, its registry row goes stale.
    const dead = await worker(group, async () => void (await sleep(60_000)), { registry: true });
    const d = delivery({ key: "order-8" });
    void dead.process(d);
    await sleep(100);
    await dead.stop({ graceMs: 0 }).catch(() => {}); // leaves: the claim stays CLAIMED
    const [held] = await claimOf(group, "order-8");
    expect(held.state).toBe("CLAIMED");

    let ran = 0;
    const b = await worker(group, async () => void ran++, { policy: "takeover" });
    expect(await b.process({ ...d, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "committed" });
    expect(ran).toBe(1);
    const [c] = await claimOf(group, "order-8");
    expect([c.state, Number(c.fence), c.owner]).toEqual(["DONE", 2, b.workerId]);
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["takeover/rebalance_replay"]).toBe(1);
    expect(ev["rerun/rebalance_replay/took_over"]).toBe(1);
  });

  it("holds an expired claim until an operator releases it, then the waiting copy runs", async () => {
    const group = uniqueName("g");
    const owner = await worker(group, async () => void (await sleep(60_000)), { leaseS: 0.5 });
    const d = delivery({ key: "order-9" });
    void owner.process(d);
    await sleep(100);
    // Simulate the owner dying: its lease heartbeat stops (stop() without grace leaves the claim).
    await owner.stop({ graceMs: 0 }).catch(() => {});
    let ran = 0;
    const b = await worker(group, async () => void ran++, { policy: "hold", holdWaitS: 30 });
    const pb = b.process({ ...d, deliveryAttempt: 2 });
    await sleep(1200);
    expect(ran).toBe(0);
    const [c] = await claimOf(group, "order-9");
    expect(c.state).toBe("CLAIMED");
    expect(await releaseClaimIfFence(ctx.db.pool, Number(c.id), Number(c.fence) + 1)).toBe(false); // stale fence refused
    expect(await releaseClaimIfFence(ctx.db.pool, Number(c.id), Number(c.fence))).toBe(true);
    expect(await pb).toEqual({ ack: true, outcome: "committed" });
    expect(ran).toBe(1);
    const ev = await eventCounts(ctx.db.pool, group);
    expect(ev["expiry/held"]).toBe(1);
    expect(ev["rerun/rebalance_replay/claimed_after_release"]).toBe(1);
  });

  it("defers a held copy after HOLD_WAIT_S, and acks it once an operator marks the claim done", async () => {
    const group = uniqueName("g");
    const owner = await worker(group, async () => void (await sleep(60_000)), { leaseS: 0.3 });
    const d = delivery({ key: "order-10" });
    void owner.process(d);
    await sleep(100);
    await owner.stop({ graceMs: 0 }).catch(() => {});
    let ran = 0;
    const b = await worker(group, async () => void ran++, { policy: "hold", holdWaitS: 0.4 });
    expect(await b.process({ ...d, deliveryAttempt: 2 })).toMatchObject({ ack: false, outcome: "deferred" });
    const [c] = await claimOf(group, "order-10");
    expect(await markDoneIfFence(ctx.db.pool, Number(c.id), Number(c.fence), 86_400_000)).toBe(true);
    expect(await b.process({ ...d, deliveryAttempt: 3 })).toEqual({ ack: true, outcome: "duplicate" });
    expect(ran).toBe(0);
  });

  it("refuses the commit of a worker whose claim was taken over (fence), and aborts its signal", async () => {
    const group = uniqueName("g");
    let signal: AbortSignal | undefined;
    let release!: () => void;
    const slowDone = new Promise<void>((r) => (release = r));
    const slow = await worker(group, async (_m: KeyedDelivery, ctx) => {
      signal = ctx.signal;
      await slowDone;
    }, { leaseS: 30 }); // its own lease heartbeat will not run during the test
    const d = delivery({ key: "order-11" });
    const pSlow = slow.process(d);
    await sleep(100);
    // Force the lease to look expired, as if the slow worker had stalled past it.
    await ctx.db.pool.query("UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE consumer_group = ?", [group]);
    let ran = 0;
    const b = await worker(group, async () => void ran++, { policy: "takeover" });
    expect(await b.process({ ...d, deliveryAttempt: 2 })).toEqual({ ack: true, outcome: "committed" });
    await slow.extendLeasesNow(); // the slow worker's next lease heartbeat finds the fence moved
    expect(signal?.aborted).toBe(true);
    release();
    expect(await pSlow).toEqual({ ack: true, outcome: "committed_fence_lost" });
    const [c] = await claimOf(group, "order-11");
    expect([c.state, Number(c.fence), c.owner]).toEqual(["DONE", 2, b.workerId]);
    expect(ran).toBe(1);
  });

  it("a lease heartbeat racing with commits and releases never reports a lease lost, nor aborts a handler", async () => {
    const group = uniqueName("g");
    const records: { msg?: string }[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => void records.push(JSON.parse(line)) });
    const aborted: string[] = [];
    const w = await worker(
      group,
      async (m: KeyedDelivery, c) => {
        await sleep(Math.random() * 4);
        if (c.signal.aborted) aborted.push(m.msgId);
        if (m.msgId.endsWith("-fail")) throw new Error("fails on purpose");
      },
      { log, leaseS: 30 },
    );
    let running = true;
    const heartbeats = (async () => {
      // Every held claim is due at every beat: the beat overlaps the commits and releases below.
      while (running) {
        await w.extendLeasesNow();
        await sleep(1);
      }
    })();
    await Promise.all(Array.from({ length: 300 }, (_, i) => w.process(delivery({ key: `order-race-${i}`, msgId: `M-race-${i}${i % 5 === 0 ? "-fail" : ""}` }))));
    running = false;
    await heartbeats;
    expect(records.filter((r) => r.msg?.startsWith("lease lost"))).toEqual([]);
    expect(aborted).toEqual([]);
  });

  it("keeps renewing the lease of a handler that is still running while the worker stops gracefully", async () => {
    const group = uniqueName("g");
    let release!: () => void;
    const slowDone = new Promise<void>((r) => (release = r));
    const w = await worker(group, () => slowDone, { leaseS: 2 }); // renewed every 2/3 s
    const p = w.process(delivery({ key: "order-14" }));
    await sleep(100);
    const stopped = w.stop({ graceMs: 10_000 });
    // Over two lease lengths into the grace period the claim must still be leased: otherwise
    // another worker could take it over and run the message while this handler is still running.
    await sleep(4_500);
    const [held] = await rows(ctx.db.pool, "SELECT state, lease_until > UTC_TIMESTAMP(3) AS leased FROM dedup_claim WHERE consumer_group = ?", [group]);
    expect([held.state, Number(held.leased)]).toEqual(["CLAIMED", 1]);
    release();
    expect(await p).toEqual({ ack: true, outcome: "committed" });
    await stopped;
    const [c] = await claimOf(group, "order-14");
    expect(c.state).toBe("DONE");
  });

  it("stores a SQL-injection key verbatim and keeps Order-1 and 'order-1 ' apart", async () => {
    const group = uniqueName("g");
    const keys: string[] = [];
    const w = await worker(group, async (m) => void keys.push(m.key.toString()));
    const evil = "x'); DROP TABLE dedup_claim; -- \\' OR 1=1 #";
    for (const k of [evil, "Order-1", "order-1 ", evil]) await w.process(delivery({ key: k }));
    expect(keys).toEqual([evil, "Order-1", "order-1 "]);
    const stored = await rows(ctx.db.pool, "SELECT dedup_key FROM dedup_claim WHERE consumer_group = ? ORDER BY id", [group]);
    expect(stored.map((r) => (r.dedup_key as Buffer).toString())).toEqual([evil, "Order-1", "order-1 "]);
  });

  it("fails closed when the database is unreachable: no ack until stopped", async () => {
    const group = uniqueName("g");
    const { createPool } = await import("../src/db/pool");
    const deadPool = createPool("mysql://root@127.0.0.1:1/nowhere", { connectionLimit: 2 });
    let ran = 0;
    const w = createDedupProcessor({ group, topic: "orders", mode: "lease", handler: async () => void ran++, pool: deadPool, registry: false, retentionIntervalS: 0, redis: false, sqlDialect });
    let settled = false;
    const p = w.process(delivery({ key: "order-12" })).finally(() => (settled = true));
    await sleep(400);
    expect(settled).toBe(false);
    void w.stop({ graceMs: 5_000 });
    expect(await p).toMatchObject({ ack: false, outcome: "stopping" });
    expect(ran).toBe(0);

    const open = createDedupProcessor({ group, topic: "orders", mode: "lease", handler: async () => void ran++, pool: deadPool, registry: false, retentionIntervalS: 0, redis: false, failOpen: true, sqlDialect });
    expect(await open.process(delivery({ key: "order-13" }))).toEqual({ ack: true, outcome: "fail_open" });
    expect(ran).toBe(1);
    await open.stop({ graceMs: 0 });
    await deadPool.end().catch(() => {});
  });
});
