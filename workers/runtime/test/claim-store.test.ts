/**
 * The claim SQL (src/sql/) against real MariaDB, on both insert paths: INSERT … RETURNING and the
 * portable one (INSERT IGNORE, ids read back). Same cases, same expected rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { SQL_DIALECTS } from "../../../test/support/sql-dialects";
import { rows, uniqueName } from "../../../test/support/deliveries";
import { detectDialect, type Dialect } from "../src/db/dialect";
import { commitClaims, extendLeases, insertClaims, markDoneIfFence, readClaims, releaseClaim, releaseClaimIfFence, takeoverClaim } from "../src/sql";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const claim = (k: string, msgId = `m-${k}`) => ({ tag: "", key: Buffer.from(k), keySource: "key" as const, msgId, queue: "", payloadHash: Buffer.alloc(32, 1) });
const keysOf = (won: Map<string, number>) => [...won.keys()].map((k) => k.slice(1)).sort();

describe.each(SQL_DIALECTS)("claim SQL, %s path", (setting) => {
  let dialect: Dialect;
  const lease = (owner: string) => ({ state: "CLAIMED" as const, owner, leaseMs: 60_000, retentionMs: 86_400_000, dialect });
  const scope = () => ({ group: uniqueName("cs"), topic: "t" });
  beforeAll(async () => {
    dialect = await detectDialect(db.pool, setting);
  });

  it("runs the path it is named for (MariaDB parses RETURNING; portable never uses it)", () => {
    expect(dialect.server).toBe("mariadb");
    expect(dialect.returning).toBe(setting === "auto");
    expect(dialect.nopadBinCollation).toBe("utf8mb4_nopad_bin");
  });

  it("commits only the claims whose owner and fence still match, whatever the mix of fences in the batch", async () => {
    const s = scope();
    const won = await insertClaims(db.pool, s, ["a", "b", "c", "d"].map((k) => claim(k)), lease("w1"));
    const id = (k: string) => won.get(`\u0000${k}`)!;
    // c and d expire and are taken over: c by w1 itself (fence 2), d by w2 (fence 2).
    await db.pool.query("UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id IN (?)", [[id("c"), id("d")]]);
    expect(await takeoverClaim(db.pool, { id: id("c"), fence: 1 }, "w1", "m-c2", 60_000)).toBe(true);
    expect(await takeoverClaim(db.pool, { id: id("d"), fence: 1 }, "w2", "m-d2", 60_000)).toBe(true);
    const batch = [
      { id: id("a"), fence: 1 }, // ours
      { id: id("b"), fence: 2 }, // a fence we never had
      { id: id("c"), fence: 2 }, // ours after our own takeover
      { id: id("d"), fence: 2 }, // right fence, someone else's
    ];
    expect(await extendLeases(db.pool, "w1", batch, 60_000)).toEqual([true, false, true, false]);
    expect(await commitClaims(db.pool, "w1", batch)).toEqual([true, false, true, false]);
    const states = await rows(db.pool, "SELECT dedup_key, state, owner, fence FROM dedup_claim WHERE consumer_group = ? ORDER BY dedup_key", [s.group]);
    expect(states.map((r) => [(r.dedup_key as Buffer).toString(), r.state, r.owner, Number(r.fence)])).toEqual([
      ["a", "DONE", "w1", 1],
      ["b", "CLAIMED", "w1", 1],
      ["c", "DONE", "w1", 2],
      ["d", "CLAIMED", "w2", 2],
    ]);
  });

  it("inserts exactly the batch's rows (padded to a power of two), skips taken keys, and returns only the rows it won", async () => {
    const s = scope();
    await insertClaims(db.pool, s, [claim("taken")], lease("w1"));
    // 5 rows → padded to 8 with copies of the first row; one key is already taken by w1's earlier claim.
    const won = await insertClaims(db.pool, s, ["p1", "p2", "taken", "p3", "p4"].map((k) => claim(k)), lease("w2"));
    expect(keysOf(won)).toEqual(["p1", "p2", "p3", "p4"]);
    const all = await rows(db.pool, "SELECT id, dedup_key, owner, last_msg_id, TIMESTAMPDIFF(SECOND, claimed_at, lease_until) AS lease_s FROM dedup_claim WHERE consumer_group = ? ORDER BY dedup_key", [s.group]);
    expect(all.map((r) => [(r.dedup_key as Buffer).toString(), r.owner, r.last_msg_id, Number(r.lease_s)])).toEqual([
      ["p1", "w2", "m-p1", 60],
      ["p2", "w2", "m-p2", 60],
      ["p3", "w2", "m-p3", 60],
      ["p4", "w2", "m-p4", 60],
      ["taken", "w1", "m-taken", 60],
    ]);
    for (const r of all.slice(0, 4)) expect(won.get(`\u0000${(r.dedup_key as Buffer).toString()}`)).toBe(Number(r.id));
  });

  it("never reports a row of our own from an earlier delivery as won: DONE, or CLAIMED after a failed release, same msgId", async () => {
    const s = scope();
    const first = await insertClaims(db.pool, s, [claim("done"), claim("stuck")], lease("w1"));
    expect(await commitClaims(db.pool, "w1", [{ id: first.get("\u0000done")!, fence: 1 }])).toEqual([true]);
    // The broker redelivers both messages (same msgIds) to the same worker, with a new key beside them.
    const again = await insertClaims(db.pool, s, ["done", "stuck", "new"].map((k) => claim(k)), lease("w1"));
    expect(keysOf(again)).toEqual(["new"]);
    const tx = await insertClaims(db.pool, s, ["done", "stuck"].map((k) => claim(k)), { ...lease("w1"), state: "DONE" });
    expect(keysOf(tx)).toEqual([]);
  });

  it("claims inside a business transaction: visible to others only at commit, gone with a rollback", async () => {
    const s = scope();
    const conn = await db.pool.getConnection();
    try {
      await conn.query("START TRANSACTION");
      const won = await insertClaims(conn, s, ["t1", "t2"].map((k) => claim(k)), { ...lease("w1"), state: "DONE" });
      expect(keysOf(won)).toEqual(["t1", "t2"]);
      expect((await readClaims(db.pool, s, [claim("t1")])).size).toBe(0);
      await conn.query("COMMIT");
      const seen = await readClaims(db.pool, s, ["t1", "t2"].map((k) => claim(k)));
      expect([...seen.values()].map((r) => [r.id, r.state, r.owner])).toEqual([...won.values()].map((id) => [id, "DONE", "w1"]));

      await conn.query("START TRANSACTION");
      expect(keysOf(await insertClaims(conn, s, ["t1", "t3"].map((k) => claim(k)), { ...lease("w2"), state: "DONE" }))).toEqual(["t3"]);
      await conn.query("ROLLBACK");
      expect((await readClaims(db.pool, s, [claim("t3")])).size).toBe(0);
    } finally {
      conn.release();
    }
  });

  it("releases only under our owner and fence; an operator's release and mark-done only under the fence seen", async () => {
    const s = scope();
    const won = await insertClaims(db.pool, s, ["r1", "r2", "r3"].map((k) => claim(k)), lease("w1"));
    const [r1, r2, r3] = ["r1", "r2", "r3"].map((k) => won.get(`\u0000${k}`)!);
    expect(await releaseClaim(db.pool, "w2", { id: r1, fence: 1 })).toBe(false);
    expect(await releaseClaim(db.pool, "w1", { id: r1, fence: 2 })).toBe(false);
    expect(await releaseClaim(db.pool, "w1", { id: r1, fence: 1 })).toBe(true);
    // An operator acts only on a claim whose lease ran out: its owner may still be working on it.
    expect(await releaseClaimIfFence(db.pool, r2, 1)).toBe(false);
    expect(await markDoneIfFence(db.pool, r3, 1, 86_400_000)).toBe(false);
    await db.pool.query("UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id IN (?)", [[r2, r3]]);
    expect(await releaseClaimIfFence(db.pool, r2, 2)).toBe(false);
    expect(await releaseClaimIfFence(db.pool, r2, 1)).toBe(true);
    expect(await markDoneIfFence(db.pool, r3, 1, 86_400_000)).toBe(true);
    expect(await commitClaims(db.pool, "w1", [{ id: r3, fence: 1 }])).toEqual([false]); // the operator's fence + 1 wins, even over a late commit
    // A released key is free again: the next insert wins it.
    expect(keysOf(await insertClaims(db.pool, s, ["r1", "r2", "r3"].map((k) => claim(k, `m2-${k}`)), lease("w2")))).toEqual(["r1", "r2"]);
  });

  it("lets exactly one of two workers take over the same expired claim", async () => {
    const s = scope();
    const id = (await insertClaims(db.pool, s, [claim("x")], lease("w1"))).get("\u0000x")!;
    expect(await takeoverClaim(db.pool, { id, fence: 1 }, "w2", "m-x2", 60_000)).toBe(false); // not expired yet
    await db.pool.query("UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id = ?", [id]);
    const results = await Promise.all(["w2", "w3"].map((w) => takeoverClaim(db.pool, { id, fence: 1 }, w, `m-x-${w}`, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const [row] = await rows(db.pool, "SELECT owner, fence, attempts FROM dedup_claim WHERE id = ?", [id]);
    expect([Number(row.fence), Number(row.attempts)]).toEqual([2, 2]);
    expect(row.owner).toBe(results[0] ? "w2" : "w3");
  });
});
