/**
 * After sign-in the login page sends the browser to `next`: only a path on the dashboard's own
 * origin may pass. Each hostile value is what a browser would follow to another host (the query
 * string is already decoded when the page reads it). The real page is checked in e2e/hostile.spec.ts.
 */
import { describe, expect, it } from "vitest";
import { safeNextPath } from "@/lib/http/safe-redirect";

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

  it("keeps same-origin paths with their query and fragment, normalized", () => {
    expect(safeNextPath("/claims?group=orders&ownerAlive=no")).toBe("/claims?group=orders&ownerAlive=no");
    expect(safeNextPath("/groups/%25RETRY%25orders#workers")).toBe("/groups/%25RETRY%25orders#workers");
    expect(safeNextPath("/a/../keys")).toBe("/keys");
    expect(safeNextPath("/keys\\x")).toBe("/keys/x");
  });
});
