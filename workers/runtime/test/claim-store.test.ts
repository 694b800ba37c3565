/** The fenced batch statements of claim-store.ts against real MariaDB: mixed fences in one batch. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { commitClaims, extendLeases, insertClaims, takeoverClaim } from "../src/sql/claim-store";
import { rows } from "../../../test/support/deliveries";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const scope = { group: "cs", topic: "t" };
const claim = (k: string) => ({ tag: "", key: Buffer.from(k), keySource: "key" as const, msgId: `m-${k}`, queue: "", payloadHash: Buffer.alloc(32, 1) });

describe("fenced batch commit", () => {
  it("commits only the claims whose owner and fence still match, whatever the mix of fences in the batch", async () => {
    const won = await insertClaims(db.pool, scope, ["a", "b", "c", "d"].map(claim), { state: "CLAIMED", owner: "w1", leaseMs: 60_000, retentionMs: 86_400_000 });
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
    const states = await rows(db.pool, "SELECT dedup_key, state, owner, fence FROM dedup_claim WHERE consumer_group = 'cs' ORDER BY dedup_key");
    expect(states.map((r) => [(r.dedup_key as Buffer).toString(), r.state, r.owner, Number(r.fence)])).toEqual([
      ["a", "DONE", "w1", 1],
      ["b", "CLAIMED", "w1", 1],
      ["c", "DONE", "w1", 2],
      ["d", "CLAIMED", "w2", 2],
    ]);
  });
});

describe("batched claim insert (prepared, padded to a power of two)", () => {
  it("inserts exactly the batch's rows, skips taken keys, and returns only the rows it won", async () => {
    const s = { group: "cs-pad", topic: "t" };
    const opts = { state: "CLAIMED" as const, owner: "w1", leaseMs: 60_000, retentionMs: 86_400_000 };
    await insertClaims(db.pool, s, [claim("taken")], opts);
    // 5 rows → padded to 8 with copies of the first row; one key is already taken by w1's earlier claim.
    const won = await insertClaims(db.pool, s, ["p1", "p2", "taken", "p3", "p4"].map(claim), { ...opts, owner: "w2" });
    expect([...won.keys()].map((k) => k.slice(1)).sort()).toEqual(["p1", "p2", "p3", "p4"]);
    const all = await rows(db.pool, "SELECT dedup_key, owner, last_msg_id, TIMESTAMPDIFF(SECOND, claimed_at, lease_until) AS lease_s FROM dedup_claim WHERE consumer_group = 'cs-pad' ORDER BY dedup_key");
    expect(all.map((r) => [(r.dedup_key as Buffer).toString(), r.owner, r.last_msg_id, Number(r.lease_s)])).toEqual([
      ["p1", "w2", "m-p1", 60],
      ["p2", "w2", "m-p2", 60],
      ["p3", "w2", "m-p3", 60],
      ["p4", "w2", "m-p4", 60],
      ["taken", "w1", "m-taken", 60],
    ]);
  });
});
