/**
 * proxy.ts: a path with a malformed percent-escape is a 400 (the API's error shape under /api),
 * never Next.js's bare 500; any decodable path passes through untouched. The same is checked
 * against the real server in e2e/hostile.spec.ts.
 */
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { config, proxy } from "@/proxy";

const call = (path: string) => proxy(new NextRequest(`http://localhost${path}`));

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

  it("lets every decodable path through, and only paths with % are sent to it", () => {
    for (const path of ["/api/groups/%25RETRY%25orders", "/groups/a%20b", "/api/keys"]) expect(call(path).headers.get("x-middleware-next"), path).toBe("1");
    // The matcher "/(.*%.*)" reads the same as a path pattern and as a regular expression.
    const matcher = new RegExp(`^${config.matcher[0]}$`);
    expect(matcher.test("/api/groups/%E0")).toBe(true);
    expect(matcher.test("/api/overview")).toBe(false);
  });
});
