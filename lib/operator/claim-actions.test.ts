import { describe, expect, it } from "vitest";
import { markDoneIfFence, releaseClaimIfFence } from "@dedup-audit/runtime/operator";
import { seedClaim, uniqueName } from "../../test/support/seed";
import { prisma } from "../db/prisma";
import { useDashboardDatabase } from "../../test/support/http";
import { markClaimDone, releaseClaim, releaseClaims } from "./claim-actions";

const ctx = useDashboardDatabase();
const opts = { actor: "user:op@example.com", reason: "worker pod was OOM-killed" };
const ref = (c: { id: string; fence: string }) => ({ id: BigInt(c.id), fence: BigInt(c.fence) });

async function auditOf(id: string) {
  const rows = await prisma().operatorAction.findMany({ orderBy: { id: "asc" } });
  return rows.filter((r) => r.detail?.includes(`"claimId":"${id}"`));
}

describe("releaseClaim", () => {
  it("deletes the claim it was shown, writes a manual_release event and an ok audit row", async () => {
    const group = uniqueName("g");
    const c = await seedClaim(ctx.db.pool, { group, key: "order-1", fence: 3 });
    const out = await releaseClaim(ref(c), opts);
    expect(out).toMatchObject({ id: c.id, result: "ok", action: "release" });
    expect(await prisma().dedupClaim.findUnique({ where: { id: BigInt(c.id) } })).toBeNull();
    const events = await prisma().dedupEvent.findMany({ where: { consumerGroup: group } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "manual_release", fence: 3n, outcome: "released_by_operator" });
    expect(Buffer.from(events[0].dedupKey).toString()).toBe("order-1");
    const audit = await auditOf(c.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: opts.actor, action: "release", result: "ok", reason: opts.reason, consumerGroup: group, fenceSeen: 3n });
  });

  it("refuses when the fence moved, and audits the refusal", async () => {
    const group = uniqueName("g");
    const c = await seedClaim(ctx.db.pool, { group, key: "k", fence: 2 });
    const out = await releaseClaim({ id: BigInt(c.id), fence: 1n }, opts);
    expect(out.result).toBe("refused_changed");
    expect(out.message).toContain("from 1 to 2");
    expect(await prisma().dedupClaim.findUnique({ where: { id: BigInt(c.id) } })).not.toBeNull();
    expect(await prisma().dedupEvent.count({ where: { consumerGroup: group } })).toBe(0);
    expect((await auditOf(c.id)).map((a) => a.result)).toEqual(["refused_changed"]);
  });

  it("refuses a DONE claim, a claim whose lease is valid, and a claim that no longer exists", async () => {
    const group = uniqueName("g");
    const done = await seedClaim(ctx.db.pool, { group, key: "done", state: "DONE" });
    expect((await releaseClaim(ref(done), opts)).result).toBe("refused_done");
    const live = await seedClaim(ctx.db.pool, { group, key: "live", leaseExpiredAgoS: -30 });
    const refusal = await releaseClaim(ref(live), opts);
    expect(refusal.result).toBe("refused_lease_active");
    expect(refusal.message).toContain("still working");
    expect((await releaseClaim({ id: 999_999_999n, fence: 1n }, opts)).result).toBe("refused_not_found");
    const refused = await prisma().operatorAction.findMany({ where: { result: { startsWith: "refused" }, reason: opts.reason } });
    expect(refused.length).toBeGreaterThanOrEqual(3);
  });

  it("audits a claim that vanished before the operator acted under the group and key it was shown with", async () => {
    const group = uniqueName("g");
    const c = await seedClaim(ctx.db.pool, { group, key: "gone-1", fence: 2 });
    const shown = { consumerGroup: group, topic: "orders", tag: "", dedupKey: new Uint8Array(Buffer.from("gone-1")) };
    await prisma().dedupClaim.delete({ where: { id: BigInt(c.id) } }); // a worker released it meanwhile
    expect((await releaseClaim({ ...ref(c), shown }, opts)).result).toBe("refused_not_found");
    const [audit] = await auditOf(c.id);
    expect(audit).toMatchObject({ result: "refused_not_found", consumerGroup: group, topic: "orders", tag: "", fenceSeen: 2n });
    expect(Buffer.from(audit.dedupKey!).toString()).toBe("gone-1");
    expect(JSON.parse(audit.detail!)).toMatchObject({ identityFrom: "shown" });

    // The claim's own row wins over what the caller says it was shown.
    const other = await seedClaim(ctx.db.pool, { group, key: "real-key", fence: 1, leaseExpiredAgoS: -30 });
    expect((await releaseClaim({ ...ref(other), shown }, opts)).result).toBe("refused_lease_active");
    const [own] = await auditOf(other.id);
    expect(Buffer.from(own.dedupKey!).toString()).toBe("real-key");
    expect(JSON.parse(own.detail!)).toMatchObject({ identityFrom: "claim" });
  });
});

describe("markClaimDone", () => {
  it("sets DONE with fence+1 so the old owner cannot commit, and records manual_done", async () => {
    const group = uniqueName("g");
    const c = await seedClaim(ctx.db.pool, { group, key: "paid", fence: 4 });
    expect((await markClaimDone(ref(c), opts)).result).toBe("ok");
    const row = await prisma().dedupClaim.findUniqueOrThrow({ where: { id: BigInt(c.id) } });
    expect(row.state).toBe("DONE");
    expect(row.fence).toBe(5n);
    expect(row.doneAt).not.toBeNull();
    expect(row.expireAt!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect((await prisma().dedupEvent.findFirstOrThrow({ where: { consumerGroup: group } })).kind).toBe("manual_done");
    // Acting again on what was shown is refused: it is DONE now.
    expect((await markClaimDone(ref(c), opts)).result).toBe("refused_done");
  });
});

describe("the runtime's fenced primitives, which these actions write through", () => {
  it("refuse a claim whose lease is still running by the database clock, on mysql2 and on a Prisma transaction alike", async () => {
    const group = uniqueName("g");
    const live = await seedClaim(ctx.db.pool, { group, key: "live", leaseExpiredAgoS: -30 });
    const stale = await seedClaim(ctx.db.pool, { group, key: "stale", fence: 2 });
    // Move the live claim's lease to 2 s ahead of the database's own clock, whatever this process's clock says.
    await ctx.db.pool.query("UPDATE dedup_claim SET lease_until = UTC_TIMESTAMP(3) + INTERVAL 2 SECOND WHERE id = ?", [live.id]);
    expect(await releaseClaimIfFence(ctx.db.pool, BigInt(live.id), 1n)).toBe(false);
    expect(await prisma().$transaction((tx) => markDoneIfFence(tx, BigInt(live.id), 1n, 86_400_000))).toBe(false);
    expect(await prisma().$transaction((tx) => markDoneIfFence(tx, BigInt(stale.id), 1n, 86_400_000))).toBe(false); // stale fence
    expect(await prisma().$transaction((tx) => markDoneIfFence(tx, BigInt(stale.id), 2n, 86_400_000))).toBe(true);
    const row = await prisma().dedupClaim.findUniqueOrThrow({ where: { id: BigInt(stale.id) } });
    expect([row.state, row.fence, row.leaseUntil]).toEqual(["DONE", 3n, null]);
    expect(await prisma().dedupClaim.count({ where: { consumerGroup: group, state: "CLAIMED" } })).toBe(1);
  });
});

describe("concurrent bulk releases", () => {
  it("release each claim at most once", async () => {
    const group = uniqueName("g");
    const claims = [];
    for (let i = 0; i < 12; i += 1) claims.push(ref(await seedClaim(ctx.db.pool, { group, key: `bulk-${i}` })));
    const [a, b, c] = await Promise.all([
      releaseClaims(claims, { actor: "user:a@example.com", reason: "bulk A" }),
      releaseClaims([...claims].reverse(), { actor: "user:b@example.com", reason: "bulk B" }),
      releaseClaims(claims.slice(3, 9), { actor: "cli:root", reason: "bulk C" }),
    ]);
    const oks = [...a, ...b, ...c].filter((o) => o.result === "ok");
    expect(oks).toHaveLength(12);
    expect(new Set(oks.map((o) => o.id)).size).toBe(12);
    expect([...a, ...b, ...c].filter((o) => o.result !== "ok").every((o) => o.result === "refused_not_found")).toBe(true);
    expect(await prisma().dedupClaim.count({ where: { consumerGroup: group } })).toBe(0);
    expect(await prisma().dedupEvent.count({ where: { consumerGroup: group, kind: "manual_release" } })).toBe(12);
    expect(await prisma().operatorAction.count({ where: { reason: { in: ["bulk A", "bulk B", "bulk C"] } } })).toBe(30);
  });
});
