/**
 * Moves delta rows into the rollups: the rows are locked and read, their sums added to the
 * minute and hour rollups and to group_totals, and exactly those rows deleted — one transaction,
 * so a delta is counted in the rollups or still pending, never both and never neither. Two
 * workers rolling up at once wait on each other's row locks; on Galera, two nodes deleting the
 * same rows fail certification and the loser rolls back whole (its caller retries later).
 */
import type { Pool } from "../db/pool.js";
import { STAT_COUNTERS } from "../vocabulary.js";
import { writeRollups, type Counts, type RollupRows } from "./upsert-rollups.js";

/** Delta rows moved per transaction: keeps each pass's locks and statement sizes bounded. */
const ROLL_UP_ROWS = 2000;

/** Rolls up every delta row present; returns how many were moved. */
export async function rollUpStatsDeltas(pool: Pool): Promise<number> {
  let moved = 0;
  for (;;) {
    const n = await rollUpOnce(pool);
    moved += n;
    if (n < ROLL_UP_ROWS) return moved;
  }
}

interface DeltaRow extends Counts {
  id: number;
  consumer_group: string;
  topic: string;
  minute: Date;
}

async function rollUpOnce(pool: Pool): Promise<number> {
  const conn = await pool.getConnection();
  try {
    // READ COMMITTED: the locking read takes the rows it returns, not the gap after the last one,
    // so the hot path's inserts of new deltas never wait for a roll-up.
    await conn.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    await conn.beginTransaction();
    const [rows] = await conn.query(`SELECT id, consumer_group, topic, minute, ${STAT_COUNTERS.join(", ")} FROM group_stats_delta ORDER BY id LIMIT ? FOR UPDATE`, [ROLL_UP_ROWS]);
    const deltas = rows as DeltaRow[];
    if (deltas.length > 0) {
      await writeRollups(conn, sumDeltas(deltas));
      await conn.query(`DELETE FROM group_stats_delta WHERE id IN (${deltas.map(() => "?").join(",")})`, deltas.map((d) => d.id));
    }
    await conn.commit();
    return deltas.length;
  } catch (err) {
    await conn.rollback().catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}

/** Delta rows summed per minute, per hour and per group/topic. */
function sumDeltas(deltas: DeltaRow[]): RollupRows {
  const minutes = new Map<string, RollupRows["minutes"][number]>();
  const hours = new Map<string, RollupRows["hours"][number]>();
  const totals = new Map<string, RollupRows["totals"][number]>();
  for (const d of deltas) {
    const minute = new Date(d.minute);
    const hour = new Date(Math.floor(minute.getTime() / 3_600_000) * 3_600_000);
    const scope = `${d.consumer_group}\u0000${d.topic}`;
    addCounts(minutes, `${scope}\u0000${minute.getTime()}`, () => ({ group: d.consumer_group, topic: d.topic, minute, counts: {} }), d);
    addCounts(hours, `${scope}\u0000${hour.getTime()}`, () => ({ group: d.consumer_group, topic: d.topic, hour, counts: {} }), d);
    addCounts(totals, scope, () => ({ group: d.consumer_group, topic: d.topic, counts: {} }), d);
  }
  return { minutes: [...minutes.values()], hours: [...hours.values()], totals: [...totals.values()] };
}

function addCounts<T extends { counts: Counts }>(into: Map<string, T>, id: string, fresh: () => T, from: Counts): void {
  let t = into.get(id);
  if (!t) into.set(id, (t = fresh()));
  for (const c of STAT_COUNTERS) t.counts[c] = (t.counts[c] ?? 0) + Number(from[c] ?? 0);
}
