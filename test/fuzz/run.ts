/**
 * `npm run fuzz [-- --runs 1000] [-- --only /api/claims]`: the route fuzzer of
 * test/fuzz/routes.fuzz.test.ts with more cases (default 1,000 per route and method), a table of
 * answers per route, and every failing route listed before the exit code says so.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { discoverRoutes } from "./discover";
import { installDnsGuard, refusedLookups } from "./dns-guard";
import { fuzzRoute, type RouteStats } from "./harness";
import { createWorld } from "./world";

const { values } = parseArgs({ options: { runs: { type: "string", default: "1000" }, only: { type: "string" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number (got ${values.runs})`);

const root = path.resolve(import.meta.dirname, "../..");
installDnsGuard();
const world = await createWorld();
const failures: string[] = [];
const rows: RouteStats[] = [];
const started = Date.now();
try {
  const routes = (await discoverRoutes(root)).filter((r) => !values.only || r.template.includes(values.only));
  console.log(`fuzzing ${routes.reduce((n, r) => n + r.methods.length, 0)} route methods × ${runs} cases (database ${world.db.name})`);
  for (const route of routes) {
    for (const { method } of route.methods) {
      try {
        const s = await fuzzRoute(world, route, method, { runs, repoRoot: root });
        rows.push(s);
        const statuses = Object.entries(s.statuses).map(([code, n]) => `${code}×${n}`).join(" ");
        console.log(`ok    ${method.padEnd(6)} ${route.template.padEnd(44)} ${String(s.ms).padStart(6)} ms  ${statuses}`);
      } catch (err) {
        failures.push((err as Error).message);
        console.log(`FAIL  ${method.padEnd(6)} ${route.template}`);
      }
    }
  }
} finally {
  await world.close();
}
console.log(`\n${rows.length} route methods passed, ${failures.length} failed, ${rows.reduce((n, s) => n + s.cases, 0)} cases in ${((Date.now() - started) / 1000).toFixed(0)} s; ${refusedLookups} DNS lookups refused by the guard`);
for (const f of failures) console.log(`\n${f}`);
process.exit(failures.length === 0 ? 0 : 1);
