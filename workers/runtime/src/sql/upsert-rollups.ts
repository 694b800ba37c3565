/**
 * Minute rollups, hour rollups and never-pruned totals as upserts that add to what is there
 * (col = col + VALUES(col); VALUES() is deprecated on MySQL ≥ 8.0.20 but works, and its
 * replacement, the row alias, is MySQL-only). Always the three together in one transaction, so
 * they never disagree: upsertRollups opens its own, writeRollups joins the caller's.
 */
import type { PoolConnection } from "mysql2/promise";
import type { Pool } from "../db/pool.js";
import { STAT_COUNTERS, type StatCounter } from "../vocabulary.js";

export type Counts = Partial<Record<StatCounter, number>>;

export interface RollupRows {
  minutes: { group: string; topic: string; minute: Date; counts: Counts }[];
  hours: { group: string; topic: string; hour: Date; counts: Counts }[];
  totals: { group: string; topic: string; counts: Counts }[];
}

export async function upsertRollups(pool: Pool, rows: RollupRows): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await writeRollups(conn, rows);
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}

/** The three upserts on `conn`, inside the caller's transaction. */
export async function writeRollups(conn: PoolConnection, rows: RollupRows): Promise<void> {
  const counts = (c: Counts) => STAT_COUNTERS.map((name) => c[name] ?? 0);
  await upsert(conn, "group_stats_minute (consumer_group, topic, minute", rows.minutes.map((r) => [r.group, r.topic, r.minute, ...counts(r.counts)]));
  await upsert(conn, "group_stats_hour (consumer_group, topic, hour", rows.hours.map((r) => [r.group, r.topic, r.hour, ...counts(r.counts)]));
  await upsert(conn, "group_totals (consumer_group, topic", rows.totals.map((r) => [r.group, r.topic, ...counts(r.counts)]), true);
}

/** One multi-row upsert into `target` (table and its leading columns); totals also stamp updated_at. */
async function upsert(conn: PoolConnection, target: string, values: unknown[][], stamped = false): Promise<void> {
  if (values.length === 0) return;
  const cols = STAT_COUNTERS.join(", ");
  const add = STAT_COUNTERS.map((c) => `${c} = ${c} + VALUES(${c})`).join(", ");
  const tuple = `(${Array(values[0].length).fill("?").join(",")}${stamped ? ",UTC_TIMESTAMP(3)" : ""})`;
  await conn.query(
    `INSERT INTO ${target}, ${cols}${stamped ? ", updated_at" : ""}) VALUES ${values.map(() => tuple).join(",")}` +
      ` ON DUPLICATE KEY UPDATE ${add}${stamped ? ", updated_at = VALUES(updated_at)" : ""}`,
    values.flat(),
  );
}
