/**
 * Fuzz every API route (found on disk) with 200 fixed-seed hostile cases per method, for every
 * auth level: never a 5xx, the one error shape on 4xx, no stack, no password, no row changed by
 * a refused request. `npm run fuzz` runs the same with ≥ 1,000 cases (test/fuzz/run.ts).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverRoutes, findRouteFiles, type DiscoveredRoute } from "./discover";
import { installDnsGuard } from "./dns-guard";
import { fuzzRoute, type RouteStats } from "./harness";
import { createWorld, type World } from "./world";

const RUNS = 200;
const root = path.resolve(import.meta.dirname, "../..");

let world: World;
let routes: DiscoveredRoute[];
const stats: RouteStats[] = [];

beforeAll(async () => {
  installDnsGuard();
  world = await createWorld();
  routes = await discoverRoutes(root);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("route discovery", () => {
  it("finds every route.ts and a handler in each; nothing is skipped", () => {
    const files = findRouteFiles(path.join(root, "app", "api")).map((f) => path.relative(root, f));
    expect(routes.map((r) => r.file)).toEqual(files);
    for (const r of routes) expect(r.methods.length, `${r.file} exports no HTTP method`).toBeGreaterThan(0);
    const listed = routes.map((r) => r.template);
    for (const known of ["/api/claims/release", "/api/users/[id]", "/api/auth/login", "/api/groups/[group]"]) expect(listed).toContain(known);
  });
});

describe("fuzz every route", () => {
  it(`${RUNS} hostile cases per route and method: only 2xx/4xx, error shape, no row changed on 4xx`, async () => {
    for (const route of routes) {
      for (const { method } of route.methods) stats.push(await fuzzRoute(world, route, method, { runs: RUNS, repoRoot: root }));
    }
    const slow = [...stats].sort((a, b) => b.ms - a.ms).slice(0, 3).map((s) => `${s.method} ${s.route} ${s.ms} ms`);
    if (process.env.FUZZ_VERBOSE) for (const s of stats) console.log(`${s.method} ${s.route}: ${JSON.stringify(s.statuses)} ${s.ms} ms`);
    console.log(`fuzzed ${stats.length} route methods × ${RUNS} cases; slowest: ${slow.join(", ")}`);
    expect(stats.every((s) => s.cases === RUNS)).toBe(true);
    // The cases reach past the front door: every route that reads its request answers more than
    // one way, and some cases succeed.
    for (const s of stats) {
      const reads = routes.find((r) => r.template === s.route)!.methods.find((m) => m.method === s.method)!.handler.length > 0;
      if (reads) expect(Object.keys(s.statuses).length, `${s.method} ${s.route} answered only ${JSON.stringify(s.statuses)}`).toBeGreaterThan(1);
    }
    expect(stats.reduce((n, s) => n + Object.entries(s.statuses).filter(([code]) => Number(code) < 300).reduce((m, [, c]) => m + c, 0), 0)).toBeGreaterThan(RUNS);
  }, 150_000);
});
