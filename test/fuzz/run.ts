/**
 * `npm run fuzz [-- --runs 1000] [-- --only /api/claims] [-- --no-edges]`: the route fuzzer of
 * test/fuzz/routes.fuzz.test.ts with more cases (default 1,000 per route and method), a table of
 * answers per route, then the real server's edges (edges.ts: methods, request targets, chunked
 * bodies; needs `npx next build`), and every failure listed before the exit code says so.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { discoverRoutes } from "./discover";
import { fuzzEdges, startDashboard } from "./edges";
import { installDnsGuard, refusedLookups } from "./dns-guard";
import { BASE_SEED, fuzzRoute, type RouteStats } from "./harness";
import { createWorld } from "./world";

const { values } = parseArgs({ options: { runs: { type: "string", default: "1000" }, only: { type: "string" }, "no-edges": { type: "boolean", default: false } } });
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
  if (!values["no-edges"]) {
    const server = await startDashboard(root, world.db.url);
    try {
      const edges = await fuzzEdges(server.port, routes, BASE_SEED);
      const statuses = Object.entries(edges.statuses).map(([code, n]) => `${code}×${n}`).join(" ");
      const fives = Object.entries(edges.statuses).filter(([code]) => Number(code) >= 500).reduce((n, [, c]) => n + c, 0);
      console.log(`${edges.failures.length === 0 ? "ok  " : "FAIL"}  server edges (methods, request targets, chunked bodies): ${edges.cases} cases, ${fives} × 5xx  ${statuses}`);
      if (edges.failures.length > 0) failures.push(`server edges:\n  ${edges.failures.slice(0, 50).join("\n  ")}`);
    } finally {
      await server.stop();
    }
  }
} finally {
  await world.close();
}
console.log(`\n${rows.length} route methods passed, ${failures.length} failed, ${rows.reduce((n, s) => n + s.cases, 0)} cases in ${((Date.now() - started) / 1000).toFixed(0)} s; ${refusedLookups} DNS lookups refused by the guard`);
for (const f of failures) console.log(`\n${f}`);
process.exit(failures.length === 0 ? 0 : 1);
