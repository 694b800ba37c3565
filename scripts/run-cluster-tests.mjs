// `npm run test:cluster`: the Galera cluster suites (vitest.cluster.config.ts), closing with
// `N passed, N failed` like `npm test`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";

const out = "test-results";
mkdirSync(out, { recursive: true });
const json = `${out}/vitest-cluster.json`;
const r = spawnSync("npx", ["vitest", "run", "--config", "vitest.cluster.config.ts", "--reporter=default", "--reporter=json", `--outputFile.json=${json}`], { stdio: "inherit" });
const report = existsSync(json) ? JSON.parse(readFileSync(json, "utf8")) : undefined;
let passed = 0;
let failed = 1;
if (report) {
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  // A file that failed to load has no failed test but is a failure all the same.
  if (r.status !== 0 && failed === 0) failed = 1;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
