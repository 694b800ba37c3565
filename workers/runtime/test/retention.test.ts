import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/db";
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

  it("runs on one elected instance at a time (GET_LOCK)", async () => {
    const holder = await db.pool.getConnection();
    await holder.query("SELECT GET_LOCK(?, 0)", [`dedup_audit.retention.${db.name}`]);
    expect((await runRetention(db.pool, { retentionMs: 1 })).elected).toBe(false);
    await holder.query("DO RELEASE_LOCK(?)", [`dedup_audit.retention.${db.name}`]);
    holder.release();
    expect((await runRetention(db.pool, { retentionMs: 1 })).elected).toBe(true);
  });
});
