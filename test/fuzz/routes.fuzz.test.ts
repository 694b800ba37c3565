/**
 * Fuzz every API route (found on disk) with 200 fixed-seed hostile cases per method, for every
 * auth level: never a 5xx, the one error shape on 4xx, no stack, no password, no row changed by
 * a refused request. `npm run fuzz` runs the same with ≥ 1,000 cases (test/fuzz/run.ts).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "../../lib/db/prisma";
import { recordAction } from "../../lib/operator/audit";
import { discoverRoutes, findRouteFiles, type DiscoveredRoute, type Handler, type HttpMethod } from "./discover";
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
}, 300_000); // its users and sessions cost one scrypt (N = 2^17) each

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

describe("the harness catches what it must", () => {
  const canary = (method: HttpMethod, handler: Handler): DiscoveredRoute => ({ file: "(canary)", template: "/api/canary", params: [], methods: [{ method, handler }] });
  const json = (status: number, body: unknown) => Response.json(body, { status });
  const error400 = { error: { message: "bad", code: "bad_request", status: 400 } };
  const run = (route: DiscoveredRoute) => fuzzRoute(world, route, route.methods[0].method, { runs: 30, repoRoot: root });

  it("a 500, a stack trace, a bare 4xx, a refused request that wrote a row, a read that wrote", async () => {
    await expect(run(canary("POST", async (req) => ((await req.text()).length > 3 ? json(500, { error: { message: "x", code: "internal", status: 500 } }) : json(400, error400))))).rejects.toThrow(/status 500/);
    await expect(run(canary("POST", async () => json(400, { error: { ...error400.error, message: `boom\n    at handler (${root}/lib/x.ts:1:2)` } })))).rejects.toThrow(/stack frame/);
    await expect(run(canary("POST", async () => new Response("nope", { status: 403 })))).rejects.toThrow(/4xx with content-type/);
    const writes = async () => {
      await recordAction(prisma(), { actor: "canary", action: "canary", reason: "", result: "ok" });
      return json(400, error400);
    };
    await expect(run(canary("POST", writes))).rejects.toThrow(/400 answer but operator_action changed/);
    await expect(run(canary("GET", async () => (await writes(), json(200, {}))))).rejects.toThrow(/a GET changed operator_action/);
    await expect(run(canary("POST", async () => json(200, { hash: "scrypt$16384$8$1$abc" })))).rejects.toThrow(/password hash/);
  });
});

describe("fuzz every route", () => {
  it(`${RUNS} hostile cases per route and method: only 2xx/4xx, error shape, no row changed on 4xx`, async () => {
    for (const route of routes) {
      for (const { method } of route.methods) stats.push(await fuzzRoute(world, route, method, { runs: RUNS, repoRoot: root }));
    }
    const slow = [...stats].sort((a, b) => b.ms - a.ms).slice(0, 3).map((s) => `${s.method} ${s.route} ${s.ms} ms`);
    console.log(`fuzzed ${stats.length} route methods × ${RUNS} cases; slowest: ${slow.join(", ")}`);
    expect(stats.every((s) => s.cases === RUNS)).toBe(true);
    // The cases reach past the front door: every route that reads its request answers more than
    // one way, and some cases succeed.
    for (const s of stats) {
      const reads = routes.find((r) => r.template === s.route)!.methods.find((m) => m.method === s.method)!.handler.length > 0;
      if (reads) expect(Object.keys(s.statuses).length, `${s.method} ${s.route} answered only ${JSON.stringify(s.statuses)}`).toBeGreaterThan(1);
    }
    expect(stats.reduce((n, s) => n + Object.entries(s.statuses).filter(([code]) => Number(code) < 300).reduce((m, [, c]) => m + c, 0), 0)).toBeGreaterThan(RUNS);
  }, 900_000); // login cases run scrypt at N = 2^17 until the rate limit stops them
});
