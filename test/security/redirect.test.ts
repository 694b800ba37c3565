/**
 * After sign-in the login page sends the browser to `next`: only a path on the dashboard's own
 * origin may pass. Each hostile value is what a browser would follow to another host (the query
 * string is already decoded when the page reads it). The real page is checked in e2e/hostile.spec.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSafePath, safeNextPath } from "@/lib/http/safe-redirect";

/** Where a browser on the dashboard goes when it follows `Location: <location>`. */
const followedFrom = (origin: string, location: string) => new URL(location, origin).origin;

describe("safeNextPath", () => {
  it.each([
    ["/\\evil.example/phish"], // /%5Cevil.example/phish
    ["/\t/evil.example"], // /%09/evil.example
    ["/\n/evil.example"],
    ["//evil.example"],
    ["///evil.example"],
    ["https://evil.example"],
    ["javascript:alert(1)"],
    ["\\\\evil.example"],
    ["evil.example"],
    [""],
    [undefined],
    [["/a", "/b"]],
  ])("%j falls back to /", (next) => {
    expect(safeNextPath(next)).toBe("/");
  });

  // Dot segments that collapse into a path starting with `//` (the parsed path, taken alone, is
  // scheme-relative): each must stay on the dashboard.
  it.each([["/.//evil.example/phish"], ["/%2e//evil.example"], ["/x/..//evil.example"], ["/..//evil.example"], ["/.\\/evil.example"], ["/./\\evil.example"], ["/%2E%2E//evil.example"]])(
    "%j stays on the dashboard's origin",
    (next) => {
      const out = safeNextPath(next);
      expect(out).toMatch(/^\/(?![/\\])/);
      expect(followedFrom("http://dash.test:3000", out)).toBe("http://dash.test:3000");
    },
  );

  it("keeps same-origin paths with their query and fragment, normalized", () => {
    expect(safeNextPath("/claims?group=orders&ownerAlive=no")).toBe("/claims?group=orders&ownerAlive=no");
    expect(safeNextPath("/groups/%25RETRY%25orders#workers")).toBe("/groups/%25RETRY%25orders#workers");
    expect(safeNextPath("/a/../keys")).toBe("/keys");
    expect(safeNextPath("/keys\\x")).toBe("/keys/x");
    expect(safeNextPath("/.//evil.example/phish")).toBe("/evil.example/phish");
  });

  // Paths built from the pieces that redirect bypasses are made of, raw and percent-encoded.
  const piece = fc.constantFrom("/", "\\", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%09", "\t", "\n", "\r", " ", "?", "#", ":", "@", "%", "evil.example", "x", "http:", "\u3002", "\uff0f", "\u0000");
  const hostilePath = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(""));

  it("never returns anything a browser would resolve to another origin (property)", () => {
    fc.assert(
      fc.property(fc.oneof(hostilePath, hostilePath.map((p) => `/${p}`), fc.webPath(), fc.webUrl(), fc.string()), (next) => {
        for (const candidate of [next, safeDecode(next)]) {
          const out = safeNextPath(candidate);
          expect(out.startsWith("//") || out.startsWith("/\\")).toBe(false);
          expect(out.startsWith("/")).toBe(true);
          expect(isSafePath(out)).toBe(true);
          expect(followedFrom("https://dash.test", out)).toBe("https://dash.test");
          // Sanitising twice changes nothing: what the page redirects to is already a fixed point.
          expect(safeNextPath(out)).toBe(out);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
