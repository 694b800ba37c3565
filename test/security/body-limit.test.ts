/**
 * Every route with a method that takes a body (from lib/generated/api-routes.json, which
 * scripts/setup.mjs builds from the route files) answers a body over 64 KB with 413 in the
 * error shape — declared by Content-Length or streamed without one, signed in or not — before
 * it authenticates or parses anything, and nothing changes. 64 KB itself still gets through.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import routesJson from "@/lib/generated/api-routes.json";
import { createUser } from "@/lib/auth/users";
import { MAX_BODY_BYTES } from "@/lib/http/body-limit";
import { apiRequest, paramsOf, useDashboardDatabase, type As } from "@/test/support/http";
import { discoverRoutes, pathFor, type DiscoveredRoute } from "../fuzz/discover";
import { errorOf, rowCounts, signIn } from "../support/security";

useDashboardDatabase();
const root = path.resolve(import.meta.dirname, "../..");
const listed = (routesJson as { path: string; methods: string[] }[]).flatMap((r) => r.methods.filter((m) => m !== "GET").map((m) => ({ path: r.path, method: m })));
const params = { id: "1", group: "orders" };

let routes: DiscoveredRoute[];
let admin: As;

/** A JSON string `bytes` long. */
const jsonOf = (bytes: number) => JSON.stringify({ pad: "x".repeat(bytes - 10) });

function streamed(body: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(body);
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 8192) c.enqueue(bytes.slice(i, i + 8192));
      c.close();
    },
  });
}

function handlerOf(p: string, method: string) {
  const r = routes.find((x) => x.template === p);
  const h = r?.methods.find((m) => m.method === method)?.handler;
  if (!r || !h) throw new Error(`no ${method} handler for ${p}`);
  return { url: pathFor(r, params), call: h };
}

beforeAll(async () => {
  routes = await discoverRoutes(root);
  await createUser({ email: "admin@example.com", password: "admin-password", role: "admin" });
  admin = await signIn("admin@example.com", "admin-password");
});

describe("request body cap", () => {
  it("covers every listed route that takes a body", () => {
    expect(listed.length).toBeGreaterThan(12);
    expect(jsonOf(1000).length).toBe(1000);
  });

  it.each(listed.map((r) => [r.method, r.path]))("%s %s: 413 for a body over 64 KB, by Content-Length or streamed", async (method, p) => {
    const { url, call } = handlerOf(p, method);
    const big = jsonOf(MAX_BODY_BYTES + 1);
    const before = await rowCounts();
    for (const as of [undefined, admin]) {
      const declared = apiRequest(url, { method, body: big, as, headers: { "content-length": String(big.length) } });
      expect(await errorOf(await call(declared, paramsOf(params))), `declared, ${as ? "admin" : "anonymous"}`).toMatchObject({ status: 413, code: "payload_too_large" });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (as?.cookie) Object.assign(headers, { cookie: as.cookie, "x-csrf-token": as.csrf });
      const chunked = new Request(`http://localhost${url}`, { method, headers, body: streamed(big), duplex: "half" } as RequestInit);
      expect(await errorOf(await call(chunked, paramsOf(params))), `streamed, ${as ? "admin" : "anonymous"}`).toMatchObject({ status: 413, code: "payload_too_large" });
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("a body of exactly 64 KB is read and judged on its content", async () => {
    const { url, call } = handlerOf("/api/auth/login", "POST");
    const res = await call(apiRequest(url, { body: jsonOf(MAX_BODY_BYTES) }), paramsOf(params));
    expect(await errorOf(res)).toMatchObject({ status: 400, code: "bad_request" });
  });
});
