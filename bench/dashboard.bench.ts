/**
 * Dashboard query latency. A fresh database is filled by the bulk seeder
 * (bench/seed.ts: 1M claims + 1M events quick, 10M + 10M with --full, 20 groups, 7 days, with
 * the minute and hour rollups, totals, workers and rebalances the runtime writes), then each
 * dashboard read is timed by calling the lib/queries function the API route calls, through
 * Prisma pointed at that database (the same code path as the route minus JSON and HTTP):
 *
 *  overview 15m / 24h / 7d   getGroupOverview — every group's row (rollups, stuck, workers)
 *  group detail 24h / 7d     getGroupDetail — series, rebalances, workers, stuck, recent events
 *  stuck claims              listStuckClaims — all groups, 50 oldest, owner liveness
 *  key lookup                findKeyHistory — a random seeded key, every group: claim + events
 *
 * Figures: p50 and p95 in ms over `runs` sequential calls after warm-up. Target p95 ≤ 150 ms
 * (at 10M rows). The database is dropped afterwards.
 */
import { createPrisma } from "../lib/db/prisma";
import { findKeyHistory } from "../lib/queries/findKeyHistory";
import { getGroupDetail } from "../lib/queries/getGroupDetail";
import { getGroupOverview } from "../lib/queries/getGroupOverview";
import { keyFromText } from "../lib/queries/keys";
import { listStuckClaims } from "../lib/queries/listStuckClaims";
import { createTestDatabase } from "../test/support/db";
import { progressBar, seedDashboardData, seedGroupName } from "./seed";
import type { BenchContext, BenchRow } from "./types";

const TARGET_P95_MS = 150;
const GROUPS = 20;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function timeCalls(runs: number, call: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await call(-1 - i); // warm-up: connections, plans, buffer pool
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95) };
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const rows = ctx.quick ? 1_000_000 : 10_000_000;
  const runs = ctx.quick ? 40 : 100;
  const db = await createTestDatabase();
  const g = globalThis as { dedupPrisma?: unknown };
  const previous = g.dedupPrisma;
  const client = createPrisma(db.url);
  try {
    const started = Date.now();
    await seedDashboardData(db.pool, { rows, groups: GROUPS, onProgress: progressBar(`seeding ${rows.toLocaleString("en-US")} claims + events`) });
    console.log(`  seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    g.dedupPrisma = client; // prisma() in lib/queries now reads the bench database

    const randomKey = () => keyFromText(`order-${1 + Math.floor(Math.random() * rows)}`);
    const group = (i: number) => seedGroupName(Math.abs(i) % GROUPS);
    const cases: [string, (i: number) => Promise<unknown>][] = [
      ["overview 15m", () => getGroupOverview("15m")],
      ["overview 24h", () => getGroupOverview("24h")],
      ["overview 7d", () => getGroupOverview("7d")],
      ["group detail 24h", (i) => getGroupDetail(group(i), "24h")],
      ["group detail 7d", (i) => getGroupDetail(group(i), "7d")],
      ["stuck claims (all groups, 50 oldest)", () => listStuckClaims({ limit: 50 })],
      ["key lookup (all groups)", () => findKeyHistory({ key: randomKey() })],
    ];
    const out: BenchRow[] = [];
    const size = `${rows / 1_000_000}M rows`;
    for (const [name, call] of cases) {
      const r = await timeCalls(runs, call);
      out.push(
        { figure: `dashboard ${name} p50, ${size}`, value: r.p50, unit: "ms" },
        { figure: `dashboard ${name} p95, ${size}`, value: r.p95, unit: "ms", target: `≤ ${TARGET_P95_MS} ms`, pass: r.p95 <= TARGET_P95_MS },
      );
    }
    return out;
  } finally {
    g.dedupPrisma = previous;
    await client.$disconnect().catch(() => {});
    await db.drop();
  }
}
