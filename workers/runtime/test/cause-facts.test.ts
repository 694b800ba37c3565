/** The facts behind a duplicate's cause, read from a real MariaDB: msgIds met, and the registry's side. */
import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { readCauseFacts, recordAckRefused, recordSeenMsg, seenScopeHash } from "../src/sql";
import { rows, uniqueName } from "../../../test/support/deliveries";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** A worker row whose heartbeat (or stop) was `agoMs` before the database's now. */
async function worker(group: string, id: string, state: "live" | "left" | "dead", agoMs: number) {
  await db.pool.query(
    `INSERT INTO worker_instance (id, consumer_group, topic, host, pid, version, client_id, mode, state, queues, inflight, started_at, heartbeat_at, stopped_at)
     VALUES (?, ?, 't', 'h', 1, 'test', ?, 'lease', ?, '[]', 0, UTC_TIMESTAMP(3) - INTERVAL 1 HOUR, UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND, IF(? = 'live', NULL, UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND))`,
    [id, group, `c-${id}`, state, agoMs * 1000, state, agoMs * 1000],
  );
}

const opts = { replayWindowMs: 300_000, workerTimeoutMs: 4_000, msgId: "M" };

describe("recordSeenMsg", () => {
  it("returns what was written down before this delivery, then keeps the highest attempt and the last holder", async () => {
    const h = seenScopeHash({ group: uniqueName("g"), topic: "t" }, "", Buffer.from("k"));
    expect(await recordSeenMsg(db.pool, h, { msgId: "B", attempt: 1, holder: "w1", finished: true })).toBeUndefined();
    const first = await recordSeenMsg(db.pool, h, { msgId: "B", attempt: 2, holder: "w2", finished: false });
    expect(first).toMatchObject({ attempt: 1, holder: "w1" });
    expect(first!.finishedAt).toBeInstanceOf(Date);
    expect(await recordSeenMsg(db.pool, h, { msgId: "B", attempt: 1, holder: "w3", finished: true })).toEqual({ attempt: 2, holder: "w2", finishedAt: undefined });
    const [row] = await rows(db.pool, "SELECT attempt, holder FROM dedup_seen_msg WHERE scope_hash = ? AND msg_id = 'B'", [h]);
    expect(row).toEqual({ attempt: 2, holder: "w3" }); // a replay (lower attempt) moves the holder, not the attempt
    // Another key, or another group, is another scope.
    expect(seenScopeHash({ group: "g1", topic: "t" }, "", Buffer.from("k")).equals(seenScopeHash({ group: "g2", topic: "t" }, "", Buffer.from("k")))).toBe(false);
  });
});

describe("readCauseFacts", () => {
  it("tells a live holder from one gone (left, dead, or silent for half the timeout), and an unregistered or stale one", async () => {
    const g = uniqueName("g");
    await worker(g, `${g}-live`, "live", 100);
    await worker(g, `${g}-silent`, "live", 3_000);
    await worker(g, `${g}-left`, "left", 10_000);
    await worker(g, `${g}-stale`, "dead", 600_000);
    const facts = async (id: string) => (await readCauseFacts(db.pool, { group: g, asker: `${g}-me`, holder: { id }, ...opts })).holder;
    expect(await facts(`${g}-live`)).toEqual({ self: false, registered: true, gone: false, finished: false, ackRefused: false, aliveSince: false });
    expect(await facts(`${g}-silent`)).toMatchObject({ registered: true, gone: true });
    expect(await facts(`${g}-left`)).toMatchObject({ registered: true, gone: true });
    expect(await facts(`${g}-stale`)).toMatchObject({ registered: false, gone: false });
    expect(await facts(`${g}-nobody`)).toMatchObject({ registered: false, gone: false });
  });

  it("knows whether the holder finished (by time, or by the claim it committed) and whether its ack was refused since", async () => {
    const g = uniqueName("g");
    await worker(g, `${g}-w`, "live", 1_000);
    const [[now]] = await db.pool.query<RowDataPacket[]>("SELECT UTC_TIMESTAMP(3) AS t");
    const t = (now.t as Date).getTime();
    const holderFacts = async (holder: { id: string; finishedAt?: Date; committedClaimId?: number }, msgId = "M") => {
      const h = (await readCauseFacts(db.pool, { group: g, asker: "me", holder, ...opts, msgId })).holder!;
      return { finished: h.finished, ackRefused: h.ackRefused };
    };
    expect(await holderFacts({ id: `${g}-w` })).toEqual({ finished: false, ackRefused: false }); // never finished
    const [res] = await db.pool.query<ResultSetHeader>(
      "INSERT INTO dedup_claim (consumer_group, topic, tag, dedup_key, key_source, state, owner, first_msg_id, last_msg_id, payload_hash, claimed_at, done_at) VALUES (?, 't', '', 'k', 'key', 'DONE', ?, 'A', 'A', REPEAT(0x00,32), UTC_TIMESTAMP(3) - INTERVAL 5 SECOND, UTC_TIMESTAMP(3) - INTERVAL 5 SECOND)",
      [g, `${g}-w`],
    );
    expect(await holderFacts({ id: `${g}-w`, committedClaimId: res.insertId }, "A")).toEqual({ finished: true, ackRefused: false });
    expect(await holderFacts({ id: "someone-else", committedClaimId: res.insertId }, "A")).toEqual({ finished: false, ackRefused: false }); // not its claim
    await recordAckRefused(db.pool, g, ["A"], `${g}-w`);
    expect(await holderFacts({ id: `${g}-w`, committedClaimId: res.insertId }, "A")).toEqual({ finished: true, ackRefused: true });
    expect(await holderFacts({ id: `${g}-w`, finishedAt: new Date(t + 60_000) }, "A")).toEqual({ finished: true, ackRefused: false }); // refused before it finished: an older ack
    expect(await holderFacts({ id: `${g}-w`, committedClaimId: res.insertId }, "B")).toEqual({ finished: true, ackRefused: false }); // another msgId
    await recordAckRefused(db.pool, g, ["A", "B"], `${g}-w`); // again, and one more: upserts
    expect(await holderFacts({ id: `${g}-w`, committedClaimId: res.insertId }, "B")).toEqual({ finished: true, ackRefused: true });
  });

  it("tells, on a second reading, which workers gave a sign of life since the first", async () => {
    const g = uniqueName("since");
    await worker(g, `${g}-a`, "live", 100);
    await worker(g, `${g}-b`, "live", 100);
    const ask = (since?: Date) => readCauseFacts(db.pool, { group: g, asker: `${g}-me`, holder: { id: `${g}-a` }, ...opts, since });
    const first = await ask();
    expect(first).toMatchObject({ othersAliveSince: false, holder: { aliveSince: false } }); // nobody is alive after "now"
    await new Promise((r) => setTimeout(r, 10));
    await db.pool.query("UPDATE worker_instance SET heartbeat_at = UTC_TIMESTAMP(3) WHERE id = ?", [`${g}-a`]);
    expect(await ask(first.asOf)).toMatchObject({ othersAliveSince: false, holder: { aliveSince: true } }); // b is not heard from yet
    await db.pool.query("UPDATE worker_instance SET heartbeat_at = UTC_TIMESTAMP(3) WHERE id = ?", [`${g}-b`]);
    const third = await ask(first.asOf);
    expect(third).toMatchObject({ othersAliveSince: true, holder: { aliveSince: true } });
    expect(third.asOf.getTime()).toBeGreaterThan(first.asOf.getTime());
  });

  it("says whether another member left, died or fell silent (the stand-in for an unknown holder)", async () => {
    const calm = uniqueName("calm");
    await worker(calm, `${calm}-a`, "live", 100);
    await worker(calm, `${calm}-me`, "live", 9_000); // the asker's own late heartbeat does not count
    expect((await readCauseFacts(db.pool, { group: calm, asker: `${calm}-me`, ...opts })).memberRecentlyGone).toBe(false);
    const shaken = uniqueName("shaken");
    await worker(shaken, `${shaken}-a`, "live", 100);
    await worker(shaken, `${shaken}-b`, "dead", 60_000);
    expect((await readCauseFacts(db.pool, { group: shaken, asker: "me", ...opts })).memberRecentlyGone).toBe(true);
  });
});
