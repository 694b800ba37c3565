import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type mysql from "mysql2/promise";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
import { acquireSingletonLease, LeaseLostError, releaseSingletonLease } from "../src/db/index";
import { runRetention } from "../src/worker/retention";
import { rows } from "../../../test/support/deliveries";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function seedClaims(n: number, state: "DONE" | "CLAIMED", expireSql: string, prefix: string) {
  const values = Array.from({ length: n }, (_, i) => `('g','t','',${db.pool.escape(Buffer.from(`${prefix}${i}`))},'key','${state}','w',1,1,'m','m','',REPEAT(0x00,32),UTC_TIMESTAMP(3),NULL,NULL,${expireSql})`);
  await db.pool.query(
    "INSERT INTO dedup_claim (consumer_group, topic, tag, dedup_key, key_source, state, owner, fence, attempts, first_msg_id, last_msg_id, queue, payload_hash, claimed_at, lease_until, done_at, expire_at) VALUES " + values.join(","),
  );
}

describe("retention", () => {
  it("deletes expired DONE claims and old events in bounded batches, keeps the rest", async () => {
    await seedClaims(250, "DONE", "UTC_TIMESTAMP(3) - INTERVAL 1 HOUR", "old-");
    await seedClaims(10, "DONE", "UTC_TIMESTAMP(3) + INTERVAL 1 DAY", "new-");
    await seedClaims(5, "CLAIMED", "UTC_TIMESTAMP(3) - INTERVAL 1 HOUR", "stuck-"); // stuck claims are for operators, not retention
    await db.pool.query(
      "INSERT INTO dedup_event (ts, consumer_group, topic, dedup_key, msg_id, kind) VALUES (UTC_TIMESTAMP(3) - INTERVAL 10 DAY, 'g','t','k','m','duplicate'), (UTC_TIMESTAMP(3), 'g','t','k','m','duplicate')",
    );
    await db.pool.query(
      "INSERT INTO dedup_seen_msg (scope_hash, msg_id, attempt, holder, seen_at) VALUES (REPEAT(0x01,32), 'old', 1, 'w', UTC_TIMESTAMP(3) - INTERVAL 10 DAY), (REPEAT(0x01,32), 'new', 1, 'w', UTC_TIMESTAMP(3))",
    );
    await db.pool.query("INSERT INTO group_totals (consumer_group, topic, consumed, updated_at) VALUES ('g','t',5,UTC_TIMESTAMP(3))");
    // Rollups 10 days old: the minute row goes (7-day window), the hour row stays (30-day window);
    // the 40-day-old hour row goes.
    await db.pool.query(
      "INSERT INTO group_stats_minute (consumer_group, topic, minute, consumed) VALUES ('g','t',DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL 10 DAY, '%Y-%m-%d %H:%i:00'),1), ('g','t',DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:00'),1)",
    );
    await db.pool.query(
      "INSERT INTO group_stats_hour (consumer_group, topic, hour, consumed) VALUES ('g','t',DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL 10 DAY, '%Y-%m-%d %H:00:00'),1), ('g','t',DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL 40 DAY, '%Y-%m-%d %H:00:00'),1)",
    );
    const r = await runRetention(db.pool, { retentionMs: 7 * 86_400_000, hourRetentionMs: 30 * 86_400_000, batchSize: 100, pauseMs: 1 });
    expect(r).toMatchObject({ elected: true, claims: 250, events: 1, minutes: 1, hours: 1, seenMsgs: 1 });
    expect(await rows(db.pool, "SELECT msg_id FROM dedup_seen_msg")).toEqual([{ msg_id: "new" }]);
    const [c] = await rows(db.pool, "SELECT COUNT(*) AS n FROM dedup_claim");
    expect(Number(c.n)).toBe(15);
    const [t] = await rows(db.pool, "SELECT COUNT(*) AS n FROM group_totals");
    expect(Number(t.n)).toBe(1);
  });

  it("runs on one elected instance at a time (a lease row with a fence, not GET_LOCK)", async () => {
    // Another instance holds the lease: this one does nothing until it is given up or runs out.
    const other = await acquireSingletonLease(db.pool, "retention", "other-instance", 60_000);
    expect(other).toBeDefined();
    expect((await runRetention(db.pool, { retentionMs: 1 })).elected).toBe(false);
    await releaseSingletonLease(db.pool, "retention", "other-instance", other!);
    expect((await runRetention(db.pool, { retentionMs: 1 })).elected).toBe(true);
    const [lease] = await rows(db.pool, "SELECT fence, lease_until < UTC_TIMESTAMP(6) AS free FROM singleton_lease WHERE name = 'retention'");
    expect(Number(lease.fence)).toBe(other! + 1); // a new holder: fence + 1
    expect(Number(lease.free)).toBe(1); // given up at the end of the pass
  });

  it("stops a pass whose lease was taken over: the deposed holder's next batch deletes nothing", async () => {
    await seedClaims(30, "DONE", "UTC_TIMESTAMP(3) - INTERVAL 1 HOUR", "fenced-");
    let batches = 0;
    const pass = runRetention(db.pool, { retentionMs: 1, batchSize: 10, pauseMs: 200, holder: "slow-instance" });
    // While the slow pass pauses after its first batch, its lease runs out and another instance takes it.
    while (batches === 0) {
      const [[c]] = await db.pool.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM dedup_claim WHERE dedup_key LIKE 'fenced-%'");
      batches = Number(c.n) < 30 ? 1 : 0;
      await new Promise((r) => setTimeout(r, 5));
    }
    await db.pool.query("UPDATE singleton_lease SET lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE name = 'retention'");
    expect(await acquireSingletonLease(db.pool, "retention", "new-instance", 60_000)).toBeDefined();
    await expect(pass).rejects.toBeInstanceOf(LeaseLostError);
    const [[c]] = await db.pool.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM dedup_claim WHERE dedup_key LIKE 'fenced-%'");
    expect(Number(c.n)).toBe(20);
  });
});
