/**
 * Bulk loader for dashboard benchmarks: fills a database with N claims and N events spread over
 * several groups and 7 days, plus the minute and hour rollups, totals, workers and rebalance events the
 * runtime would have written. Rows are generated inside MariaDB from its SEQUENCE engine
 * (INSERT … SELECT FROM seq_1_to_N), the fastest bulk path without LOAD DATA files, in chunks
 * so a progress bar can show how far it is.
 *
 *   tsx bench/seed.ts --rows 1000000 [--groups 8] [--database dedup_bench]
 */
import type { Pool } from "@dedup-audit/runtime/db";

export interface SeedOptions {
  rows: number;
  groups?: number;
  days?: number;
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

export const seedGroupName = (i: number) => `bench-group-${i}`;

/** Claim i belongs to group (i mod groups); about 1 in 2,000 claims is stuck (CLAIMED, lease over). */
async function seedClaims(pool: Pool, o: Required<SeedOptions>, report: (n: number) => void): Promise<void> {
  for (let from = 1; from <= o.rows; from += o.chunk) {
    const to = Math.min(o.rows, from + o.chunk - 1);
    await pool.query(
      `INSERT INTO dedup_claim (consumer_group, topic, tag, dedup_key, key_source, state, owner, fence, attempts,
                                first_msg_id, last_msg_id, queue, payload_hash, claimed_at, lease_until, done_at, expire_at)
       SELECT CONCAT('bench-group-', seq MOD ?), 'bench-topic', '', CAST(CONCAT('order-', seq) AS BINARY), 'key',
              IF(seq MOD 2000 = 0, 'CLAIMED', 'DONE'), CONCAT('worker-', seq MOD 8), 1, 1 + (seq MOD 7 = 0),
              LPAD(HEX(seq), 32, '0'), LPAD(HEX(seq), 32, '0'), CONCAT('q', seq MOD 4), UNHEX(SHA2(seq, 256)),
              @ts := UTC_TIMESTAMP(3) - INTERVAL (seq MOD (? * 86400)) SECOND,
              @ts + INTERVAL 60 SECOND, IF(seq MOD 2000 = 0, NULL, @ts + INTERVAL 20000 MICROSECOND),
              @ts + INTERVAL 7 DAY
       FROM seq_${from}_to_${to}`,
      [o.groups, o.days],
    );
    report(to - from + 1);
  }
}

/** Events are duplicates with a cause spread 50/20/25/2.5/2.5 % (the last two: unknown, manual re-drive), plus a few releases and takeovers. */
async function seedEvents(pool: Pool, o: Required<SeedOptions>, report: (n: number) => void): Promise<void> {
  for (let from = 1; from <= o.rows; from += o.chunk) {
    const to = Math.min(o.rows, from + o.chunk - 1);
    await pool.query(
      `INSERT INTO dedup_event (ts, consumer_group, topic, tag, dedup_key, msg_id, kind, cause, outcome, worker, fence, delivery_attempt)
       SELECT UTC_TIMESTAMP(3) - INTERVAL (seq MOD (? * 86400)) SECOND, CONCAT('bench-group-', seq MOD ?), 'bench-topic', '',
              CAST(CONCAT('order-', seq) AS BINARY), LPAD(HEX(seq * 7), 32, '0'),
              ELT(1 + (seq MOD 20 = 0) + (seq MOD 40 = 0), 'duplicate', 'released_on_error', 'takeover'),
              IF(seq MOD 20 = 0, NULL, IF(seq MOD 40 = 39, 'manual_redrive',
                 ELT(1 + (seq MOD 20 >= 10) + (seq MOD 20 >= 14) + (seq MOD 20 >= 19), 'producer_resend', 'rebalance_replay', 'redelivery', 'unknown'))),
              'acked_duplicate', CONCAT('worker-', seq MOD 8), 1, 1 + (seq MOD 3)
       FROM seq_${from}_to_${to}`,
      [o.days, o.groups],
    );
    report(to - from + 1);
  }
}

/** One rollup row per group and minute over the whole period, matching the raw rows in scale; hour rows and totals from them. */
async function seedRollups(pool: Pool, o: Required<SeedOptions>): Promise<void> {
  const minutes = o.days * 1440;
  const perMinute = Math.max(1, Math.round(o.rows / o.groups / minutes));
  for (let g = 0; g < o.groups; g++) {
    await pool.query(
      `INSERT INTO group_stats_minute (consumer_group, topic, minute, consumed, claims, commits, dup_producer_resend,
                                       dup_rebalance_replay, dup_redelivery, dup_unknown, releases, takeovers)
       SELECT ?, 'bench-topic', DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL seq MINUTE, '%Y-%m-%d %H:%i:00'),
              ? + seq MOD 5, ?, ?, seq MOD 3, (seq MOD 97 = 0) * 4, seq MOD 2, seq MOD 50 = 0, seq MOD 30 = 0, seq MOD 90 = 0
       FROM seq_0_to_${minutes - 1}`,
      [seedGroupName(g), perMinute, perMinute, perMinute],
    );
  }
  // Hour rows are the sums of their minutes, as the runtime's flush writes them.
  await pool.query(
    `INSERT INTO group_stats_hour (consumer_group, topic, hour, consumed, claims, commits, dup_producer_resend, dup_rebalance_replay,
                                   dup_redelivery, dup_unknown, releases, takeovers)
     SELECT consumer_group, topic, DATE_FORMAT(minute, '%Y-%m-%d %H:00:00'), SUM(consumed), SUM(claims), SUM(commits),
            SUM(dup_producer_resend), SUM(dup_rebalance_replay), SUM(dup_redelivery), SUM(dup_unknown), SUM(releases), SUM(takeovers)
     FROM group_stats_minute GROUP BY consumer_group, topic, DATE_FORMAT(minute, '%Y-%m-%d %H:00:00')`,
  );
  await pool.query(
    `INSERT INTO group_totals (consumer_group, topic, consumed, claims, commits, dup_producer_resend, dup_rebalance_replay,
                               dup_redelivery, dup_unknown, releases, takeovers, updated_at)
     SELECT consumer_group, topic, SUM(consumed), SUM(claims), SUM(commits), SUM(dup_producer_resend), SUM(dup_rebalance_replay),
            SUM(dup_redelivery), SUM(dup_unknown), SUM(releases), SUM(takeovers), UTC_TIMESTAMP(3)
     FROM group_stats_minute GROUP BY consumer_group, topic`,
  );
}

async function seedWorkers(pool: Pool, o: Required<SeedOptions>): Promise<void> {
  for (let g = 0; g < o.groups; g++) {
    for (let w = 0; w < 8; w++) {
      const live = w < 6;
      await pool.query(
        `INSERT INTO worker_instance (id, consumer_group, topic, host, pid, version, client_id, mode, state, queues, inflight, started_at, heartbeat_at, stopped_at)
         VALUES (?, ?, 'bench-topic', 'bench-host', ?, 'bench', ?, 'transactional', ?, '[]', 0, UTC_TIMESTAMP(3) - INTERVAL 1 DAY,
                 UTC_TIMESTAMP(3) - INTERVAL ? SECOND, ?)`,
        [`${seedGroupName(g)}-worker-${w}`, seedGroupName(g), 1000 + w, `client-${w}`, live ? "live" : "dead", live ? 1 : 3600, live ? null : new Date(Date.now() - 3600_000)],
      );
    }
    await pool.query(
      `INSERT INTO rebalance_event (ts, consumer_group, kind, worker_id, members_before, members_after)
       SELECT UTC_TIMESTAMP(3) - INTERVAL seq HOUR, ?, ELT(1 + seq MOD 3, 'join', 'leave', 'timeout'), CONCAT(?, '-worker-', seq MOD 8), '[]', '[]'
       FROM seq_1_to_${o.days * 24}`,
      [seedGroupName(g), seedGroupName(g)],
    );
  }
}

/** Fill the database behind `pool` (assumed migrated and empty). */
export async function seedDashboardData(pool: Pool, options: SeedOptions): Promise<void> {
  const o: Required<SeedOptions> = { groups: 8, days: 7, chunk: 100_000, onProgress: () => {}, ...options };
  let done = 0;
  const total = o.rows * 2;
  const report = (n: number) => o.onProgress((done += n), total);
  await seedClaims(pool, o, report);
  await seedEvents(pool, o, report);
  await seedRollups(pool, o);
  await seedWorkers(pool, o);
  await pool.query("ANALYZE TABLE dedup_claim, dedup_event, group_stats_minute, group_stats_hour");
}

/** A one-line progress bar on stderr. */
export function progressBar(label: string): (done: number, total: number) => void {
  const started = Date.now();
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    process.stderr.write(`\r  ${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} rows, ${Math.round(rate).toLocaleString("en-US")} rows/s`);
    if (done >= total) process.stderr.write("\n");
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { createPool } = await import("@dedup-audit/runtime/db");
  const { migrateDatabase } = await import("../lib/db/migrations");
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const url = `mysql://root@127.0.0.1:3306/${arg("database", "dedup_bench")}`;
  await migrateDatabase(url);
  const pool = createPool(url);
  await seedDashboardData(pool, { rows: Number(arg("rows", "1000000")), groups: Number(arg("groups", "8")), onProgress: progressBar("seeding") });
  await pool.end();
}
