import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { deregisterWorker, detectWorkerTimeouts, registerWorker, type WorkerInfo } from "../src/worker/registry";
import { heartbeatWorker } from "../src/sql";
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

  it("a timeout records when the silent worker was last seen alive, not when its silence was noticed", async () => {
    const g = uniqueName("g");
    await registerWorker(db.pool, info(g, `${g}-live`));
    await registerWorker(db.pool, info(g, `${g}-killed`));
    const [seen] = await rows(db.pool, "SELECT heartbeat_at FROM worker_instance WHERE id = ?", [`${g}-killed`]);
    await sleep(700);
    await heartbeatWorker(db.pool, `${g}-live`, { inflight: 0, queues: [] });
    expect(await detectWorkerTimeouts(db.pool, g, 500)).toEqual([`${g}-killed`]);
    await registerWorker(db.pool, info(g, `${g}-late`));
    const events = await rows(db.pool, "SELECT kind, ts, last_seen_at FROM rebalance_event WHERE consumer_group = ? ORDER BY id", [g]);
    const timeout = events.find((e) => e.kind === "timeout")!;
    expect((timeout.last_seen_at as Date).getTime()).toBe((seen.heartbeat_at as Date).getTime());
    expect((timeout.ts as Date).getTime() - (timeout.last_seen_at as Date).getTime()).toBeGreaterThanOrEqual(500);
    // A join (and a clean leave) is its own time: the worker was alive when it wrote the row.
    for (const e of events.filter((x) => x.kind === "join")) expect((e.last_seen_at as Date).getTime()).toBe((e.ts as Date).getTime());
  });
});
