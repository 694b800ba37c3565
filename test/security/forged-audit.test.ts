/**
 * An operator may act on a claim that is already gone and say where it was shown (`shown`), so
 * the refusal is filed under that group and key. Nothing vouches for that identity: anyone with
 * the operator role could file a row under any group, topic and key. Such rows are kept (the
 * attempt belongs in the trail) and marked `identityUnverified` in the audit API and the key
 * explorer — and only they: a row whose identity was read from the claim is not.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as audit from "@/app/api/audit/route";
import * as release from "@/app/api/claims/release/route";
import * as keys from "@/app/api/keys/route";
import { seedClaim, uniqueName } from "@/test/support/seed";
import { createUser } from "@/lib/auth/users";
import { apiRequest, useDashboardDatabase, type As } from "@/test/support/http";
import type { AuditEntry } from "@/lib/queries/listAuditLog";
import { none, signIn } from "../support/security";

const ctx = useDashboardDatabase();
let operator: As;
let viewer: As;

beforeAll(async () => {
  await createUser({ email: "op@example.com", password: "operator-password", role: "operator" });
  await createUser({ email: "viewer@example.com", password: "viewer-password", role: "viewer" });
  operator = await signIn("op@example.com", "operator-password");
  viewer = await signIn("viewer@example.com", "viewer-password");
});

async function auditOf(group: string): Promise<AuditEntry[]> {
  const res = await audit.GET(apiRequest(`/api/audit?group=${group}`, { as: viewer }), none);
  return ((await res.json()) as { entries: AuditEntry[] }).entries;
}

describe("audit rows for a claim that does not exist", () => {
  it("are filed under the group and key the caller gave, and marked unverified in the API", async () => {
    const group = uniqueName("payments");
    const keyHex = Buffer.from("order-4711").toString("hex");
    const forged = { id: "987654321", fence: "1", shown: { consumerGroup: group, topic: "orders", tag: "", keyHex } };
    const res = await release.POST(apiRequest("/api/claims/release", { body: { claims: [forged], reason: "cleaning up" }, as: operator }), none);
    expect(res.status).toBe(404);

    const [row] = await auditOf(group);
    expect(row).toMatchObject({ consumerGroup: group, topic: "orders", result: "refused_not_found", identityUnverified: true });

    const history = await keys.GET(apiRequest(`/api/keys?keyHex=${keyHex}&group=${group}`, { as: viewer }), none);
    const { histories } = (await history.json()) as { histories: { timeline: { type: string; identityUnverified?: boolean }[] }[] };
    expect(histories.flatMap((h) => h.timeline).filter((e) => e.type === "action")).toEqual([expect.objectContaining({ identityUnverified: true })]);
  });

  it("a row whose identity comes from the claim itself is not marked, whatever the caller claims it was shown", async () => {
    const group = uniqueName("real");
    const other = uniqueName("elsewhere");
    const c = await seedClaim(ctx.db.pool, { group, key: "real-key" });
    const shown = { consumerGroup: other, topic: "t", tag: "", keyHex: "00" };
    const res = await release.POST(apiRequest("/api/claims/release", { body: { claims: [{ ...c, shown }], reason: "worker is gone" }, as: operator }), none);
    expect(res.status).toBe(200);
    expect(await auditOf(group)).toEqual([expect.objectContaining({ result: "ok", identityUnverified: false })]);
    expect(await auditOf(other)).toEqual([]);
  });
});
