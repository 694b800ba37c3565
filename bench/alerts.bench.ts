/**
 * Alert latency: from the moment a condition becomes true in the database to the moment a local
 * webhook receiver (127.0.0.1) has the signed firing notification. Runs the real alert process
 * code (evaluator + delivery loop) with the production intervals from config
 * (ALERT_EVAL_INTERVAL_S, default 5 s), on a fresh test database.
 *
 * Figures (target ≤ 10 s each):
 * - no_live_worker: the group's only worker leaves (registry row → state 'left').
 * - dlq_growth: a message is dead-lettered (rollup row with dead_lettered = 1).
 */
import { createTestDatabase } from "../test/support/db";
import { config } from "../lib/config";
import { runAlerts } from "../lib/alerts/runner";
import { generateSecret } from "../lib/alerts/signing";
import { addStats, upsertWorker } from "../test/support/alerts/fixtures";
import { startReceiver, type Receiver } from "../test/support/alerts/receiver";
import type { BenchContext, BenchRow } from "./types";

const TARGET_S = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait for the first firing notification of `group`; returns its arrival time. */
async function arrivalOf(receiver: Receiver, group: string, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hit = receiver.requests.find((r) => r.body.includes(`"consumer_group":${JSON.stringify(group)}`) && r.body.includes('"status":"firing"'));
    if (hit) return hit.at;
    if (Date.now() > end) throw new Error(`no notification for ${group} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

function rows(name: string, latenciesS: number[]): BenchRow[] {
  const p50 = quantile(latenciesS, 0.5);
  const max = Math.max(...latenciesS);
  return [
    { figure: `alert ${name}: condition → webhook received, p50 (n=${latenciesS.length})`, value: p50, unit: "s", target: `≤ ${TARGET_S} s`, pass: p50 <= TARGET_S },
    { figure: `alert ${name}: condition → webhook received, max`, value: max, unit: "s", target: `≤ ${TARGET_S} s`, pass: max <= TARGET_S },
  ];
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = ctx.quick ? 3 : 10;
  const db = await createTestDatabase();
  const receiver = await startReceiver();
  const now = new Date();
  await db.pool.query("INSERT INTO webhook_endpoint (name, url, secret, format, enabled, created_at) VALUES ('bench', ?, ?, 'alertmanager', 1, ?)", [receiver.url, generateSecret(), now]);
  await db.pool.query(
    `INSERT INTO alert_rule (name, kind, consumer_group, threshold, window_s, severity, enabled, created_at, updated_at) VALUES
     ('No live worker', 'no_live_worker', NULL, 0, ?, 'critical', 1, ?, ?), ('DLQ growth', 'dlq_growth', NULL, 0, 300, 'critical', 1, ?, ?)`,
    [Math.ceil(config().WORKER_TIMEOUT_S), now, now, now, now],
  );
  const alerts = await runAlerts({ pool: db.pool, defaults: false, guard: { allow: ["loopback"] } });
  try {
    const worker: number[] = [];
    const dlq: number[] = [];
    const timeoutMs = (config().ALERT_EVAL_INTERVAL_S + 20) * 1000;
    for (let i = 0; i < n; i++) {
      // Start the condition at a random point of the evaluation cycle, as in real life.
      await sleep(Math.random() * config().ALERT_EVAL_INTERVAL_S * 1000);
      const group = `bench-worker-${i}`;
      await upsertWorker(db.pool, { id: `w-${i}`, group });
      await sleep(50);
      const t0 = Date.now();
      await upsertWorker(db.pool, { id: `w-${i}`, group, state: "left" });
      worker.push(((await arrivalOf(receiver, group, timeoutMs)) - t0) / 1000);

      const dlqGroup = `bench-dlq-${i}`;
      await sleep(Math.random() * config().ALERT_EVAL_INTERVAL_S * 1000);
      const t1 = Date.now();
      await addStats(db.pool, { group: dlqGroup, consumed: 1, deadLettered: 1 });
      dlq.push(((await arrivalOf(receiver, dlqGroup, timeoutMs)) - t1) / 1000);
    }
    return [...rows("no_live_worker (worker left)", worker), ...rows("dlq_growth (message dead-lettered)", dlq)];
  } finally {
    await alerts.stop();
    await receiver.close();
    await db.drop();
  }
}
