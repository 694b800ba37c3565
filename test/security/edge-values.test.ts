/**
 * Numbers at the edge of the columns behind them, found by the route fuzzer: an id or fence
 * beyond a signed BIGINT is a 400 before anything is touched — not a 500 from the database
 * after the earlier claims of the same bulk request were already applied.
 */
import { describe, expect, it } from "vitest";
import * as audit from "@/app/api/audit/route";
import * as markDone from "@/app/api/claims/mark-done/route";
import * as release from "@/app/api/claims/release/route";
import { seedClaim, uniqueName } from "@/test/support/seed";
import { createApiToken } from "@/lib/auth/tokens";
import { createUser } from "@/lib/auth/users";
import { apiRequest, useDashboardDatabase } from "@/test/support/http";
import { errorOf, none, rowCounts } from "../support/security";

const ctx = useDashboardDatabase();
const BEYOND = ["9223372036854775808", "9999999999999999999"];

describe("ids and fences beyond BIGINT", () => {
  it("are refused with 400 by release and mark done, and the valid claims beside them stay untouched", async () => {
    const u = await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
    const { token } = await createApiToken({ userId: u.id, name: "edge", role: "operator" });
    const group = uniqueName("edge");
    const ok = await seedClaim(ctx.db.pool, { group, key: "fine" });
    const other = await seedClaim(ctx.db.pool, { group, key: "other" });
    const before = await rowCounts();
    for (const route of [release, markDone]) {
      for (const big of BEYOND) {
        for (const bad of [{ id: other.id, fence: big }, { id: big, fence: "1" }]) {
          const res = await route.POST(apiRequest("/api/claims/x", { body: { claims: [ok, bad], reason: "edge of bigint" }, as: { bearer: token } }), none);
          expect(await errorOf(res)).toMatchObject({ status: 400, code: "bad_request" });
        }
      }
    }
    expect(await rowCounts()).toEqual(before);
    // The largest value a BIGINT holds is a valid id: simply not found.
    const max = await release.POST(apiRequest("/api/claims/release", { body: { claims: [{ id: "9223372036854775807", fence: "1" }], reason: "edge of bigint" }, as: { bearer: token } }), none);
    expect(max.status).toBe(404);
    expect((await audit.GET(apiRequest(`/api/audit?before=${BEYOND[0]}`, { as: { bearer: token } }), none)).status).toBe(400);
  });
});
