/**
 * The operator's incident path through the real server and browser, on data seeded the way the
 * runtime writes it: overview → group → stuck claim → release with a reason → audit.
 */
import { expect, test } from "./fixtures/test";

test("operator sees hits by cause, releases a stuck claim with a reason, and finds it audited", async ({ page, signIn, incident, db }) => {
  await signIn("operator");

  const row = page.locator(`tr[data-group="${incident.group}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('[data-cause="rebalance_replay"]')).toHaveText("Rebalance replay 30");
  await expect(row.locator('[data-cause="redelivery"]')).toContainText("Redelivery");
  await expect(row.locator('[data-cause="producer_resend"]')).toContainText("Producer resend");
  await expect(row.getByRole("link", { name: /2 · oldest/ })).toBeVisible();
  await expect(page.getByRole("list", { name: "Duplicate causes" })).toBeVisible();
  await page.screenshot({ path: "e2e/artifacts/overview.png" });

  await row.getByRole("link", { name: incident.group }).click();
  await expect(page.getByRole("heading", { name: "Duplicate hits by cause" })).toBeVisible();
  // Rebalance markers on the chart's time axis, labelled with kind and worker.
  await expect(page.locator(".chart").getByText(/^join /)).toBeVisible();
  await expect(page.locator(".chart").getByText(/^timeout /)).toBeVisible();
  // Stopped instances are collapsed into one line that names the newest death.
  await expect(page.locator("tr.collapsed-row")).toContainText(`${incident.group}-w1 died`);
  await page.getByRole("button", { name: "Show 1 stopped instance" }).click();
  await expect(page.locator(`tr[data-worker="${incident.group}-w1"]`)).toContainText("dead");
  await page.screenshot({ path: "e2e/artifacts/group-detail.png", fullPage: true });

  const [claim, other] = incident.claims;
  const claimRow = page.locator(`tr[data-claim="${claim.id}"]`);
  await claimRow.getByRole("button", { name: "Release…" }).click();
  const dialog = page.getByRole("dialog", { name: "Release 1 claim" });
  await expect(dialog).toContainText(claim.key);
  await expect(dialog).toContainText("deleted → message runs again");
  await expect(dialog.getByRole("button", { name: "Release 1 claim" })).toBeDisabled();
  await dialog.getByLabel(/Reason/).fill("w1 died mid-payment; effect not applied (checked ledger)");
  await page.screenshot({ path: "e2e/artifacts/release-dialog.png" });
  await dialog.getByRole("button", { name: "Release 1 claim" }).click();
  await expect(dialog).toContainText("1 of 1 applied");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(claimRow).toHaveCount(0);
  await expect(page.locator(`tr[data-claim="${other.id}"]`)).toBeVisible();

  const [rows] = await db.query("SELECT COUNT(*) AS n FROM dedup_claim WHERE id = ?", [claim.id]);
  expect((rows as { n: number }[])[0].n).toBe(0);

  await page.getByRole("link", { name: "Audit log" }).click();
  const entry = page.locator("tr[data-action=release]", { hasText: "w1 died mid-payment" });
  await expect(entry).toContainText("user:operator@e2e.test");
  await expect(entry).toContainText("ok");
  await expect(entry).toContainText(claim.key);
  await page.screenshot({ path: "e2e/artifacts/audit-log.png" });

  await entry.getByRole("link", { name: claim.key }).click();
  await expect(page.getByRole("heading", { name: "Key explorer" })).toBeVisible();
  await expect(page.locator(".timeline")).toContainText("manual release");
  await expect(page.locator(".timeline")).toContainText("operator release by user:operator@e2e.test");
  await page.screenshot({ path: "e2e/artifacts/key-explorer.png", fullPage: true });
});

test("a release is refused, and says why, when the claim changed after it was shown", async ({ page, signIn, incident, db }) => {
  await signIn("operator");
  await page.goto(`/claims?group=${incident.group}`);
  const [claim] = incident.claims;
  await expect(page.locator(`tr[data-claim="${claim.id}"]`)).toBeVisible();
  await page.screenshot({ path: "e2e/artifacts/stuck-claims.png" });
  await page.getByRole("checkbox", { name: `Select claim ${claim.key}` }).check();
  await page.getByRole("button", { name: "Mark selected done…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`DONE, fence 1 → 2`);
  // Another worker takes the claim over while the operator reads the dialog.
  await db.query("UPDATE dedup_claim SET fence = fence + 1 WHERE id = ?", [claim.id]);
  await dialog.getByLabel(/Reason/).fill("billing confirms the charge went through");
  await dialog.getByRole("button", { name: "Mark 1 claim done" }).click();
  await expect(dialog).toContainText("refused — changed");
  await expect(dialog).toContainText("the fence moved from 1 to 2");
  await expect(dialog).toContainText("0 of 1 applied");
});

test("a viewer sees no release button and gets 403 from the API", async ({ page, signIn, incident }) => {
  await signIn("viewer");
  await page.goto(`/claims?group=${incident.group}`);
  await expect(page.locator(`tr[data-claim="${incident.claims[0].id}"]`)).toBeVisible();
  await expect(page.getByRole("button", { name: /Release/ })).toHaveCount(0);
  await expect(page.getByText("Read-only")).toBeVisible();

  const me = await (await page.request.get("/api/auth/me")).json();
  const res = await page.request.post("/api/claims/release", {
    headers: { "x-csrf-token": me.csrfToken },
    data: { claims: [{ id: incident.claims[0].id, fence: incident.claims[0].fence }], reason: "viewer tries anyway" },
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).error).toMatchObject({ code: "forbidden", status: 403 });
});

test("a POST with the session cookie but without the CSRF token is refused", async ({ page, signIn, incident, db }) => {
  await signIn("operator");
  const res = await page.request.post("/api/claims/release", {
    data: { claims: [{ id: incident.claims[0].id, fence: incident.claims[0].fence }], reason: "forged request" },
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).error.code).toBe("csrf");
  const [rows] = await db.query("SELECT COUNT(*) AS n FROM dedup_claim WHERE id = ?", [incident.claims[0].id]);
  expect((rows as { n: number }[])[0].n).toBe(1);
});

test("empty states tell the operator what to do", async ({ page, signIn }) => {
  await signIn("operator");
  await page.goto("/claims?group=no-such-group");
  await expect(page.getByText("No stuck claim matches these filters.")).toBeVisible();
  await page.goto("/groups/no-such-group");
  await expect(page.getByText(/No consumer group named .no-such-group. has reported anything/)).toBeVisible();
  await page.goto("/keys");
  await expect(page.getByText("Type a dedup key or a msgId.")).toBeVisible();
});

test("an admin creates an API token that is shown once and works for /api/metrics", async ({ page, signIn, incident, playwright, baseURL }) => {
  await signIn("admin");
  await page.getByRole("link", { name: "Users & tokens" }).click();
  await expect(page.locator('tr[data-user="operator@e2e.test"]')).toBeVisible();
  const form = page.getByRole("form", { name: "Create an API token" });
  await form.getByLabel("Name").fill("prometheus");
  await form.getByRole("button", { name: "Create token" }).click();
  const token = (await page.locator(".notice code").textContent())!;
  expect(token).toMatch(/^dda_/);
  await page.screenshot({ path: "e2e/artifacts/admin.png", fullPage: true });

  const api = await playwright.request.newContext({ baseURL });
  const res = await api.get("/api/metrics", { headers: { authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  expect(await res.text()).toContain(`dedup_duplicate_hits_total{consumer_group="${incident.group}",topic="orders",cause="rebalance_replay"} 30`);
  expect((await api.get("/api/metrics")).status()).toBe(401);
  await api.dispose();

  await page.reload();
  await expect(page.locator(".notice")).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);
});
