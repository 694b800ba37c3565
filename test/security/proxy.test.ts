/**
 * proxy.ts: a path with a malformed percent-escape is a 400 (the API's error shape under /api),
 * never Next.js's bare 500; a method an API route does not export is a 405 in the API's error
 * shape with an Allow header, never Next.js's empty 405; everything else passes through; every
 * answer carries the security headers, pages a per-request CSP nonce. The same is checked
 * against the real server in e2e/hostile.spec.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { allowedMethods } from "@/lib/http/allowed-methods";
import { config, proxy } from "@/proxy";

const call = (path: string, method = "GET") => proxy(new NextRequest(`http://localhost${path}`, { method }));
const passedThrough = (res: Response) => res.headers.get("x-middleware-next") === "1";

describe("proxy", () => {
  it("refuses malformed escapes with 400, JSON under /api", async () => {
    for (const path of ["/api/groups/%E0%A4%A", "/api/tokens/%", "/api/users/%zz"]) {
      const res = call(path);
      expect(res.status, path).toBe(400);
      expect(await res.json()).toEqual({ error: { message: "the URL path has a malformed percent-escape", code: "bad_request", status: 400 } });
    }
    const page = call("/groups/%E0%A4%A");
    expect([page.status, page.headers.get("content-type")]).toEqual([400, "text/plain; charset=utf-8"]);
  });

  it("answers a method the route does not export with 405, the error shape and Allow", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/api/health", "GET, HEAD, OPTIONS"],
      ["DELETE", "/api/overview", "GET, HEAD, OPTIONS"],
      ["GET", "/api/claims/release", "POST, OPTIONS"],
      ["POST", "/api/users/42", "PATCH, OPTIONS"],
      ["PUT", "/api/alerts/endpoints/7/", "GET, PATCH, DELETE, HEAD, OPTIONS"],
      ["GET", "/api/alerts/endpoints/7/test", "POST, OPTIONS"],
    ];
    for (const [method, path, allow] of cases) {
      const res = call(path, method);
      expect([res.status, res.headers.get("allow")], `${method} ${path}`).toEqual([405, allow]);
      expect(await res.json()).toEqual({ error: { message: `${method} is not supported here; use ${allow}`, code: "method_not_allowed", status: 405 } });
    }
  });

  it("lets exported methods, HEAD/OPTIONS, unknown API paths and pages through", () => {
    const through: [string, string][] = [
      ["GET", "/api/groups/%25RETRY%25orders"],
      ["GET", "/groups/a%20b"],
      ["GET", "/api/keys"],
      ["HEAD", "/api/health"],
      ["OPTIONS", "/api/claims/release"],
      ["PATCH", "/api/users/42"],
      ["DELETE", "/api/tokens/3"],
      ["PUT", "/api/no-such-route"], // Next.js answers 404
      ["DELETE", "/groups/orders"], // pages are not API routes
    ];
    for (const [method, path] of through) expect(passedThrough(call(path, method)), `${method} ${path}`).toBe(true);
  });

  it("knows every route under app/api with exactly the methods its file exports", () => {
    const files = readdirSync("app/api", { recursive: true }).map(String).filter((f) => f.endsWith("route.ts"));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const path = `/api/${f.replace(/\/?route\.ts$/, "")}`.replace(/\/$/, "").replace(/\[[^\]]+\]/g, "x");
      const exported = [...readFileSync(`app/api/${f}`, "utf8").matchAll(/^export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/gm)].map((m) => m[1]);
      expect(allowedMethods(path)?.filter((m) => m !== "HEAD" && m !== "OPTIONS"), path).toEqual(exported);
    }
  });

  it("runs for every path but the hashed build assets", () => {
    const [matcher] = config.matcher;
    const matches = (path: string) => new RegExp(`^${matcher}$`).test(path);
    expect(["/", "/login", "/groups/orders", "/api/overview", "/groups/%E0"].every(matches)).toBe(true);
    expect(["/_next/static/chunks/app.js", "/_next/image", "/favicon.ico"].some(matches)).toBe(false);
  });
});

describe("security headers", () => {
  const STATIC = { "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin" };
  const headersOf = (res: Response) => Object.fromEntries(Object.keys(STATIC).map((h) => [h, res.headers.get(h)]));

  it("API answers — passed through or refused here — forbid framing, sniffing and loading anything", () => {
    for (const res of [call("/api/overview"), call("/api/users/42", "POST"), call("/api/groups/%E0%A4%A"), call("/groups/%E0%A4%A")]) {
      expect(headersOf(res)).toEqual(STATIC);
      expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    }
  });

  it("pages get a CSP whose only inline scripts are the ones carrying this request's fresh nonce", () => {
    const [a, b] = [call("/login"), call("/groups/orders")];
    expect(headersOf(a)).toEqual(STATIC);
    const csp = a.headers.get("content-security-policy")!;
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(csp).toContain(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic';`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(b.headers.get("content-security-policy")).not.toContain(nonce);
    // Next.js's renderer reads the nonce from the request's policy (forwarded as a request header).
    expect(a.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
    expect(a.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
  });
});
