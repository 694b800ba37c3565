/**
 * `npm run chaos`: the full chaos proof — a 10-minute run per mode (transactional, then lease)
 * with 6 workers. Exits 1 if any run found a violation.
 *   npm run chaos -- --duration 60 --workers 4 --mode transactional --seed 7
 */
import { parseArgs } from "node:util";
import { runChaos } from "./chaos";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "600" },
    workers: { type: "string", default: "6" },
    mode: { type: "string", default: "both" },
    seed: { type: "string" },
    rate: { type: "string" },
    "keep-db": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`npm run chaos -- [--duration S (600)] [--workers N (6, 4–8)] [--mode transactional|lease|both] [--seed N] [--rate orders/s] [--keep-db]`);
  process.exit(0);
}

const modes = values.mode === "both" ? (["transactional", "lease"] as const) : [values.mode];
for (const m of modes) if (m !== "transactional" && m !== "lease") throw new Error(`--mode must be transactional, lease or both, got ${m}`);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;

// Worker processes run in their own process groups; exiting through process.exit fires the
// 'exit' hook that kills them (a bare Ctrl-C would leave them running).
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    console.error(`\n${sig}: killing the chaos workers (the run's database dedup_test_* is left behind)`);
    process.exit(130);
  });
}

let failed = 0;
for (const mode of modes as ("transactional" | "lease")[]) {
  const r = await runChaos({
    mode,
    seed,
    durationS: Number(values.duration),
    workers: Number(values.workers),
    ratePerS: values.rate !== undefined ? Number(values.rate) : undefined,
    keepDatabase: values["keep-db"],
  });
  if (r.violations.length > 0) failed++;
  console.log(`chaos ${mode}: ${r.violations.length === 0 ? "PASS" : `FAIL (${r.violations.length} violations)`}\n`);
}
process.exit(failed > 0 ? 1 : 0);
