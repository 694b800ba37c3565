/**
 * One vocabulary: the runtime's vocabulary.ts names the duplicate causes, event kinds, counters and
 * metric names, and everything else that lists them is generated from it or held to it here. This
 * fails when a cause, kind or counter is added in one place only — the vocabulary without its
 * migration, a migration without the vocabulary, a cause without its colour, definition, guide row,
 * seeds or the dev broker's truth table.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COUNTER_METRICS, DUPLICATE_CAUSES, DUPLICATE_HITS_METRIC, EVENT_KINDS, STAT_COUNTERS } from "@dedup-audit/runtime/vocabulary";
import { CAUSE_COLORS } from "../app/components/causeColors";
import { CAUSE_DOCS } from "../app/components/causeDefinitions";
import { CAUSES as BROKER_CAUSES, EXPECTED_CAUSE } from "../workers/dev-broker/cause-agreement";
import { createTestDatabase, type TestDatabase } from "./support/db";
import { rows } from "./support/deliveries";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
const sorted = (xs: readonly string[]) => [...xs].sort();
/** The values of an ENUM column as the migrated database has it. */
async function enumValues(table: string, column: string): Promise<string[]> {
  const [c] = await rows(db.pool, "SELECT COLUMN_TYPE AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?", [table, column]);
  return [...String(c.t).matchAll(/'([^']+)'/g)].map((m) => m[1]);
}

describe("the vocabulary against the migrations", () => {
  it.each(["group_stats_minute", "group_stats_hour", "group_totals", "group_stats_delta"])("%s has a column for every counter and no other counter", async (table) => {
    const keys = new Set(["id", "consumer_group", "topic", "minute", "hour", "updated_at"]);
    const cols = await rows(db.pool, "SELECT COLUMN_NAME AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?", [table]);
    expect(sorted(cols.map((r) => String(r.c)).filter((c) => !keys.has(c)))).toEqual(sorted(STAT_COUNTERS));
  });

  it("dedup_event's kind and cause ENUMs are the vocabulary's event kinds and causes", async () => {
    expect(await enumValues("dedup_event", "kind")).toEqual([...EVENT_KINDS]);
    expect(await enumValues("dedup_event", "cause")).toEqual([...DUPLICATE_CAUSES]);
  });
});

describe("what lists causes, counters or metrics elsewhere", () => {
  it("every cause has a colour, a definition page entry and a row in the dev broker's truth table", () => {
    expect(sorted(Object.keys(CAUSE_COLORS))).toEqual(sorted(DUPLICATE_CAUSES));
    expect(sorted(Object.keys(CAUSE_DOCS))).toEqual(sorted(DUPLICATE_CAUSES));
    expect(BROKER_CAUSES).toEqual(DUPLICATE_CAUSES);
    for (const cause of Object.values(EXPECTED_CAUSE)) expect(DUPLICATE_CAUSES).toContain(cause);
  });

  it("every counter's metric and every cause is in the operator guide's numbers table", () => {
    const guide = read("docs/operator-guide.md");
    const section = guide.slice(guide.indexOf("## What the numbers mean"), guide.indexOf("## How a duplicate's cause is decided"));
    for (const m of [...COUNTER_METRICS.map((c) => c.name), DUPLICATE_HITS_METRIC.name]) expect(section, m).toContain(`\`${m}`);
    for (const cause of DUPLICATE_CAUSES) expect(guide, cause).toContain(`| **${cause.replace("_", " ")}** |`);
  });

  it("the seeds and fixtures that write rollups or events name every cause", () => {
    for (const path of ["test/support/seed.ts", "test/support/alerts/fixtures.ts", "bench/seed.ts"]) {
      const text = read(path);
      const missing = DUPLICATE_CAUSES.filter((c) => !text.includes(c) && !text.includes("DUPLICATE_CAUSES"));
      expect(missing, `${path} misses causes`).toEqual([]);
    }
  });

  it("the Grafana dashboard reads only metrics the vocabulary defines (or the gauges /api/metrics serves)", () => {
    const gauges = ["dedup_stuck_claims", "dedup_orphaned_claims", "dedup_stuck_claim_oldest_age_seconds", "dedup_live_workers"];
    const known = new Set([...COUNTER_METRICS.map((c) => c.name), DUPLICATE_HITS_METRIC.name, ...gauges]);
    const used = new Set(read("deploy/grafana/dedup-audit.json").match(/dedup_[a-z_]+/g) ?? []);
    expect([...used].filter((m) => !known.has(m))).toEqual([]);
    // Duplicate hits are read by their cause label, never one series per cause.
    expect(used.has(DUPLICATE_HITS_METRIC.name)).toBe(true);
  });
});
