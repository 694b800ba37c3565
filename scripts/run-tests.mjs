// `npm test`: every suite, one closing line. Builds the dashboard once (the `npm start` stop tests
// in vitest and Playwright both serve it), checks for unused code and dependencies (knip), runs vitest (unit + integration on real MariaDB, Redis
// and dev brokers), runs Playwright against the dashboard server, then sums both reporters' JSON into
// `N passed, N failed` — the last line printed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const out = "test-results";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

function run(cmd, args, env = {}) {
  console.log(`\n$ ${cmd} ${args.join(" ")}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  console.log(`(${cmd} ${args[0]} finished in ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${r.status})`);
  return r.status ?? 1;
}

const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined);
const only = process.argv.slice(2); // e.g. `npm test -- unit` or `npm test -- e2e`
const want = (suite) => only.length === 0 || only.includes(suite);

let passed = 0;
let failed = 0;
let skipped = 0;

const built = run("npx", ["next", "build"], { NEXT_TELEMETRY_DISABLED: "1" }) === 0;
if (!built) failed += 1;

// Unused files, exports and dependencies (knip.config.ts): one failure when it finds any.
if (want("unit")) {
  if (run("npx", ["knip", "--no-progress"]) === 0) passed += 1;
  else failed += 1;
}

if (want("unit")) {
  const status = run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}/vitest.json`]);
  const report = readJson(`${out}/vitest.json`);
  if (report) {
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    // A file that failed to load has no failed test but is a failure all the same.
    if (status !== 0 && report.numFailedTests === 0) failed += 1;
  } else failed += 1;
}

if (want("e2e")) {
  if (built) {
    const status = run("npx", ["playwright", "test"], { PLAYWRIGHT_JSON_OUTPUT_NAME: `${out}/playwright.json`, NEXT_TELEMETRY_DISABLED: "1" });
    const report = readJson(`${out}/playwright.json`);
    if (report?.stats) {
      passed += report.stats.expected + report.stats.flaky;
      failed += report.stats.unexpected;
      skipped += report.stats.skipped;
      if (status !== 0 && report.stats.unexpected === 0) failed += 1;
    } else failed += 1;
  }
}

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);
