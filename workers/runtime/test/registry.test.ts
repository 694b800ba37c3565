import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { deregisterWorker, detectWorkerTimeouts, registerWorker, type WorkerInfo } from "../src/worker/registry";
import { heartbeatWorker, readReplayFacts } from "../src/sql";
import { rows, sleep, uniqueName } from "../../../test/support/deliveries";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const info = (group: string, id: string): WorkerInfo => ({ id, group, topic: "t", host: "h", pid: 1, version: "test", clientId: `c-${id}`, mode: "lease" });

async function rebalances(group: string) {
  const r = await rows(db.pool, "SELECT kind, worker_id, members_before, members_after FROM rebalance_event WHERE consumer_group = ? ORDER BY id", [group]);
  return r.map((e) => ({ kind: e.kind, worker: e.worker_id, before: JSON.parse(e.members_before), after: JSON.parse(e.members_after) }));
}

describe("worker registry", () => {
  it("records join and clean leave with the members before and after", async () => {
    const g = uniqueName("g");
    await registerWorker(db.pool, info(g, "w1"));
    await registerWorker(db.pool, info(g, "w2"), ["q0", "q1"]);
    await deregisterWorker(db.pool, info(g, "w1"));
    await deregisterWorker(db.pool, info(g, "w1")); // idempotent: no second leave
    expect(await rebalances(g)).toEqual([
      { kind: "join", worker: "w1", before: [], after: ["w1"] },
      { kind: "join", worker: "w2", before: ["w1"], after: ["w1", "w2"] },
      { kind: "leave", worker: "w1", before: ["w1", "w2"], after: ["w2"] },
    ]);
    const [q] = await rows(db.pool, "SELECT queues FROM rebalance_event WHERE consumer_group = ? AND kind = 'leave'", [g]);
    expect(JSON.parse(q.queues)).toEqual({ w2: ["q0", "q1"] });
    const [w1] = await rows(db.pool, "SELECT state, stopped_at FROM worker_instance WHERE id = 'w1'");
    expect(w1.state).toBe("left");
    expect(w1.stopped_at).toBeInstanceOf(Date);
  });

  it("declares a silent worker dead exactly once even when every peer scans at the same time", async () => {
    const g = uniqueName("g");
    await registerWorker(db.pool, info(g, `${g}-a`));
    await registerWorker(db.pool, info(g, `${g}-b`));
    await registerWorker(db.pool, info(g, `${g}-c`));
    await sleep(350);
    await heartbeatWorker(db.pool, `${g}-a`, { inflight: 0, queues: [] });
    await heartbeatWorker(db.pool, `${g}-b`, { inflight: 0, queues: [] });
    // c stopped heart-beating; a and b scan concurrently, several times.
    const found = await Promise.all([1, 2, 3, 4].map(() => detectWorkerTimeouts(db.pool, g, 300)));
    expect(found.flat()).toEqual([`${g}-c`]);
    const ev = (await rebalances(g)).filter((e) => e.kind === "timeout");
    expect(ev).toEqual([{ kind: "timeout", worker: `${g}-c`, before: [`${g}-a`, `${g}-b`, `${g}-c`], after: [`${g}-a`, `${g}-b`] }]);
    // A worker declared dead learns it at its next heartbeat (and re-registers, a new join).
    expect(await heartbeatWorker(db.pool, `${g}-c`, { inflight: 0, queues: [] })).toBe(false);
  });

  it("tells whether the claiming worker left or died after the claim, within the replay window", async () => {
    const g = uniqueName("g");
    const before = new Date(Date.now() - 60_000);
    await registerWorker(db.pool, info(g, `${g}-x`));
    const facts = (owner: string, since: Date, windowMs = 300_000) => readReplayFacts(db.pool, { group: g, owner, since, windowMs, workerTimeoutMs: 60_000, asker: `${g}-asker` });
    expect(await facts(`${g}-x`, before)).toEqual({ ownerGone: false, rebalanced: true }); // its join is a rebalance
    await deregisterWorker(db.pool, info(g, `${g}-x`));
    expect((await facts(`${g}-x`, before)).ownerGone).toBe(true);
    expect((await facts(`${g}-x`, new Date(Date.now() + 60_000))).ownerGone).toBe(false); // left before the claim
    await sleep(20);
    expect(await facts(`${g}-x`, before, 1)).toEqual({ ownerGone: false, rebalanced: false }); // outside the window
  });
});

describe("replay facts around the claim (registry and broker see changes at different moments)", () => {
  const timeoutMs = 1000;
  const facts = (g: string, owner: string, since: Date, asker = `${g}-asker`) => readReplayFacts(db.pool, { group: g, owner, since, windowMs: 300_000, workerTimeoutMs: timeoutMs, asker });
  const at = (d: Date, ms: number) => new Date(d.getTime() + ms);
  async function joinedAt(id: string): Promise<Date> {
    const [r] = await rows(db.pool, "SELECT ts FROM rebalance_event WHERE worker_id = ? AND kind = 'join' ORDER BY id DESC LIMIT 1", [id]);
    return r.ts as Date;
  }
  async function heartbeatAt(id: string): Promise<Date> {
    const [r] = await rows(db.pool, "SELECT heartbeat_at FROM worker_instance WHERE id = ?", [id]);
    return r.heartbeat_at as Date;
  }

  it("counts another worker's join up to one worker timeout before the claim", async () => {
    const g = uniqueName("g");
    await registerWorker(db.pool, info(g, `${g}-new`));
    const joined = await joinedAt(`${g}-new`);
    expect((await facts(g, `${g}-owner`, at(joined, timeoutMs - 100))).rebalanced).toBe(true);
    expect((await facts(g, `${g}-owner`, at(joined, timeoutMs + 100))).rebalanced).toBe(false);
  });

  it("does not count the owner's own join before its claim", async () => {
    const g = uniqueName("g");
    await registerWorker(db.pool, info(g, `${g}-owner`));
    const joined = await joinedAt(`${g}-owner`);
    expect(await facts(g, `${g}-owner`, at(joined, 10))).toEqual({ ownerGone: false, rebalanced: false });
    expect((await facts(g, `${g}-other`, at(joined, 10))).rebalanced).toBe(true);
  });

  it("counts a live member overdue by half the worker timeout as a rebalance under way", async () => {
    const g = uniqueName("g");
    const m = `${g}-m`;
    await registerWorker(db.pool, info(g, m));
    await sleep(timeoutMs + 100); // its join is now older than the look-back of any later claim
    await heartbeatWorker(db.pool, m, { inflight: 0, queues: [] });
    const beat = await heartbeatAt(m);
    const claim = at(beat, 50);
    expect((await facts(g, `${g}-owner`, claim)).rebalanced).toBe(false); // heart-beating: calm
    await sleep(timeoutMs / 2 + 100);
    expect(await facts(g, m, claim)).toEqual({ ownerGone: false, rebalanced: true }); // overdue, not timed out
    expect((await facts(g, `${g}-owner`, claim)).rebalanced).toBe(true);
    expect((await facts(g, `${g}-owner`, claim, m)).rebalanced).toBe(false); // m asks: it is alive, only late
    // Silent since long before the claim: that departure cannot have moved queues after it.
    expect((await facts(g, `${g}-owner`, at(beat, timeoutMs + 100))).rebalanced).toBe(false);
    await heartbeatWorker(db.pool, m, { inflight: 0, queues: [] });
    expect((await facts(g, `${g}-owner`, claim)).rebalanced).toBe(false);
  });
});
