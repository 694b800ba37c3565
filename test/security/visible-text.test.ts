/**
 * Text that must say something, and text that must not reach everyone:
 *  - an operator's reason has at least 3 characters that show: three NULs, spaces and zero-width
 *    joiners, or a control character hidden in words are refused — in the API and the CLI alike;
 *  - what a webhook receiver answered to a failed delivery (it can be an internal service's error
 *    page) is in the delivery log for operators and admins; viewers see the status code only.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as release from "@/app/api/claims/release/route";
import * as deliveries from "@/app/api/alerts/deliveries/route";
import { createUser } from "@/lib/auth/users";
import { prisma } from "@/lib/db/prisma";
import { parseReleaseArgs } from "@/lib/operator/release-cli";
import { apiRequest, useDashboardDatabase, type As } from "@/test/support/http";
import { seedClaim, uniqueName } from "@/test/support/seed";
import { errorOf, none, rowCounts, signIn } from "../support/security";

const ctx = useDashboardDatabase();
let operator: As;
let viewer: As;

beforeAll(async () => {
  await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  await createUser({ email: "view@example.com", password: "viewer-password", role: "viewer" });
  operator = await signIn("op@example.com", "operator-password");
  viewer = await signIn("view@example.com", "viewer-password", "198.51.100.3");
});

describe("a reason says something", () => {
  it.each([["\u0000\u0000\u0000"], ["\u200d \u200b \u200d"], ["\u202e\u202e\u202e"], ["  a  "], ["pod\u0000 was killed"], ["pod\u0007killed"]])("%j is refused, and nothing changes", async (reason) => {
    const c = await seedClaim(ctx.db.pool, { group: uniqueName("g"), key: "k" });
    const before = await rowCounts();
    const res = await release.POST(apiRequest("/api/claims/release", { body: { claims: [{ id: c.id, fence: c.fence }], reason }, as: operator }), none);
    expect(await errorOf(res)).toMatchObject({ status: 400 });
    expect(await rowCounts()).toEqual(before);
    expect(() => parseReleaseArgs(["--group", "g", "--key", "k", "--reason", reason])).toThrow(/reason/);
  });

  it("words with line breaks, accents and scripts other than Latin are reasons", async () => {
    const c = await seedClaim(ctx.db.pool, { group: uniqueName("g"), key: "k" });
    const res = await release.POST(apiRequest("/api/claims/release", { body: { claims: [{ id: c.id, fence: c.fence }], reason: "Pod tué\n— 重启" }, as: operator }), none);
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe("a receiver's answer to a failed delivery", () => {
  it("is shown to operators, and reduced to its status for viewers", async () => {
    const now = new Date();
    const e = await prisma().webhookEndpoint.create({ data: { name: "internal", url: "http://10.0.0.5/hook", secret: "s", createdAt: now } });
    await prisma().webhookMessage.create({ data: { id: "m-1", endpointId: e.id, payload: "{}", status: "failed", nextAttemptAt: now, createdAt: now } });
    await prisma().webhookDelivery.create({ data: { messageId: "m-1", endpointId: e.id, attempt: 1, ts: now, statusCode: 500, latencyMs: 3, error: "HTTP 500: <h1>db-7.internal: password authentication failed for user billing</h1>" } });
    const errorAs = async (as: As) => ((await (await deliveries.GET(apiRequest("/api/alerts/deliveries", { as }), none)).json()) as { deliveries: { error: string }[] }).deliveries[0].error;
    expect(await errorAs(operator)).toContain("db-7.internal");
    expect(await errorAs(viewer)).toBe("HTTP 500");
  });
});
