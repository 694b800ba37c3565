/**
 * `npm run bench [-- --full] [-- name…]`: runs every bench/*.bench.ts in turn (quick profile by
 * default), prints one table with figure, value, baseline, ratio, target and PASS/MISS, and writes
 * bench/results/<timestamp>.json. Always exits 0 on a MISS: the numbers are the product, not a gate.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Bench, BenchRow } from "./types";

// The bench files load the runtime, whose logger would print every alert and retention pass
// between the progress lines; warnings and errors still show. Set before any bench is imported.
process.env.LOG_LEVEL ??= "warn";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = !args.includes("--full");
const only = args.filter((a) => !a.startsWith("--"));

const fmt = (n: number | undefined) =>
  n === undefined ? "" : Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2);

function printTable(rows: (BenchRow & { bench: string })[]): void {
  const table = rows.map((r) => ({
    figure: r.figure,
    value: `${fmt(r.value)} ${r.unit}`,
    baseline: r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)}` : "",
    ratio: r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
    target: r.target ?? "",
    result: r.pass === undefined ? "" : r.pass ? "PASS" : "MISS",
  }));
  const cols = Object.keys(table[0] ?? { figure: "" }) as (keyof (typeof table)[number])[];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...table.map((t) => t[c].length))]));
  const line = (cells: Record<string, string>) => cols.map((c) => cells[c].padEnd(width[c])).join(" │ ");
  console.log("\n" + line(Object.fromEntries(cols.map((c) => [c, c]))));
  console.log(cols.map((c) => "─".repeat(width[c])).join("─┼─"));
  for (const t of table) console.log(line(t));
}

// Run only when named: `cluster` starts a three-node Galera cluster (needs galera-4 and rsync).
const OPT_IN = ["cluster.bench.ts"];
const files = (await readdir(here))
  .filter((f) => f.endsWith(".bench.ts") && (only.length === 0 ? !OPT_IN.includes(f) : only.some((o) => f.includes(o))))
  .sort();
// The load average says how much else ran: on a shared machine it explains a swing in throughput.
const loadAtStart = os.loadavg();
console.log(`load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}`);
const rows: (BenchRow & { bench: string })[] = [];
const errors: { bench: string; error: string }[] = [];
for (const file of files) {
  const name = file.replace(/\.bench\.ts$/, "");
  console.log(`▶ ${name} (${quick ? "quick" : "full"})`);
  const started = Date.now();
  try {
    const mod = (await import(path.join(here, file))) as { default: Bench };
    for (const row of await mod.default({ quick })) rows.push({ bench: name, ...row });
  } catch (err) {
    errors.push({ bench: name, error: err instanceof Error ? err.message : String(err) });
    console.error(`  ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

printTable(rows);
const loadAtEnd = os.loadavg();
console.log(`\nload average at end: ${loadAtEnd.map((l) => l.toFixed(2)).join(" ")}`);
const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAtStart, loadAtEnd };
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
await mkdir(path.join(here, "results"), { recursive: true });
const file = path.join(here, "results", `${stamp}.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), profile: quick ? "quick" : "full", machine, rows, errors }, null, 2));
console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
process.exit(0);
