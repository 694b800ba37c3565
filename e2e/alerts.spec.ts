/**
 * Alerts page through the real server and browser: an admin adds a webhook pointing at a real
 * receiver on 127.0.0.1 and a rule, presses Send test, sees the receiver's answer and the
 * delivery row; a viewer sees the same data without any control that changes it.
 *
 * The dashboard server must allow loopback targets (WEBHOOK_ALLOW_NETWORKS=loopback); the
 * delivery loop — in production the alert process — runs here, in the test process.
 */
import { Webhook } from "standardwebhooks";
import { startDelivery } from "../lib/alerts/delivery";
import { startReceiver } from "../test/support/alerts/receiver";
import { expect, signIn, test } from "./fixtures/test";
import { uniqueName } from "../test/support/seed";

test("admin adds a webhook and a rule, sends a test and sees the delivery; a viewer cannot change anything", async ({ page, db }) => {
  const receiver = await startReceiver();
  const delivery = startDelivery({ pool: db, pollIntervalS: 0.2, guard: { allow: ["loopback"] } });
  const hook = uniqueName("oncall");
  const ruleName = uniqueName("Orders without worker");
  const group = uniqueName("orders-consumer");
  try {
    await signIn(page, "admin");
    await page.getByRole("link", { name: "Alerts" }).click();
    await expect(page.getByRole("heading", { name: "Alerts" })).toBeVisible();

    // Webhook: a private address is refused with the guard's reason; the loopback receiver is accepted.
    await page.getByRole("tab", { name: "Webhooks" }).click();
    const hookForm = page.getByRole("form", { name: "New webhook endpoint" });
    await hookForm.getByLabel("Name").fill("internal");
    await hookForm.getByLabel("URL").fill("http://10.0.0.1/hook");
    await hookForm.getByRole("button", { name: "Create webhook" }).click();
    await expect(page.getByRole("region", { name: "Webhook endpoints" }).getByRole("alert")).toContainText("10.0.0.1 is private");
    await hookForm.getByLabel("Name").fill(hook);
    await hookForm.getByLabel("URL").fill(receiver.url);
    await hookForm.getByRole("button", { name: "Create webhook" }).click();
    const allowHint = "the dashboard server needs WEBHOOK_ALLOW_NETWORKS=loopback (playwright.config.ts webServer.env) to accept a 127.0.0.1 receiver";
    await expect(page.locator("[data-secret]"), allowHint).toBeVisible();
    const secret = (await page.locator("[data-secret]").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    const row = page.locator(`tr[data-endpoint="${hook}"]`);
    await expect(row).toContainText("enabled");
    await expect(row).toContainText(`whsec_…${secret.slice(-4)}`);

    // Send test: the receiver's answer is shown, and what it got verifies with the secret.
    await row.getByRole("button", { name: "Send test" }).click();
    await expect(row.locator("[data-test-result=ok]")).toContainText(/Receiver answered HTTP 200 in \d+ ms/);
    const [req] = await receiver.waitFor(1);
    const body = new Webhook(secret).verify(req.body, req.headers) as { version: string; receiver: string; alerts: { labels: Record<string, string> }[] };
    expect(body).toMatchObject({ version: "4", receiver: hook });
    expect(body.alerts[0].labels.alertname).toBe("DedupTestNotification");

    // Rule: the form explains the kind's numbers; the new rule is listed with its condition.
    await page.getByRole("tab", { name: "Rules" }).click();
    const ruleForm = page.getByRole("form", { name: "New alert rule" });
    await ruleForm.getByLabel("Name").fill(ruleName);
    await ruleForm.getByLabel("Kind").selectOption("no_live_worker");
    await expect(ruleForm).toContainText("fires when the group has this many live workers or fewer");
    await expect(ruleForm).toContainText("Fires when: ≤ 0 workers");
    await ruleForm.getByLabel("Consumer group").fill(group);
    await ruleForm.getByRole("button", { name: "Create rule" }).click();
    const ruleRow = page.locator("tr[data-rule]", { hasText: ruleName });
    await expect(ruleRow).toContainText("≤ 0 workers (heartbeat within 30 s)");
    await expect(ruleRow).toContainText(group);
    const ruleId = await ruleRow.getAttribute("data-rule");

    // Delivery log: the test's attempt, by its webhook-id.
    await page.getByRole("tab", { name: "Delivery log" }).click();
    const attempt = page.locator(`tr[data-message="${req.headers["webhook-id"]}"]`);
    await expect(attempt).toContainText(hook);
    // The row names what was sent: its state, its group and its alerts.
    await expect(attempt.locator("[data-notification=firing]")).toContainText("dedup-audit-test");
    await expect(attempt.locator("[data-notification=firing]")).toContainText("Test notification");
    await expect(attempt.locator("td").nth(4)).toHaveText("1");
    await expect(attempt.locator("td").nth(5)).toHaveText("200");
    await expect(attempt).toContainText("delivered");
    await page.screenshot({ path: "e2e/artifacts/alerts.png" });

    // Silences: one on the rule's group, with a reason; listed active with its author, then ended.
    await page.getByRole("tab", { name: "Silences" }).click();
    const silenceForm = page.getByRole("form", { name: "New silence" });
    await silenceForm.getByLabel("Consumer group").fill(group);
    await silenceForm.getByLabel("Reason").fill("planned broker restart");
    await silenceForm.getByRole("button", { name: "Silence" }).click();
    const silenceRow = page.locator("tr[data-silence]", { hasText: "planned broker restart" });
    await expect(silenceRow).toContainText("active");
    await expect(silenceRow).toContainText(group);
    page.once("dialog", (d) => void d.accept());
    await silenceRow.getByRole("button", { name: "End now" }).click();
    await expect(silenceRow).toContainText("ended");

    // A notification's generatorURL (/alerts?rule=<id>) lands on the rule, highlighted.
    await page.goto(`/alerts?rule=${ruleId}`);
    await expect(page.locator(`tr[data-rule="${ruleId}"]`)).toHaveAttribute("aria-current", "true");
  } finally {
    await delivery.stop();
    await receiver.close();
  }

  // Viewer: sees the rule and the webhook (URL path hidden), but no control that changes them.
  await page.context().clearCookies();
  await signIn(page, "viewer");
  await page.goto("/alerts?tab=rules");
  await expect(page.locator("tr[data-rule]", { hasText: ruleName })).toBeVisible();
  await expect(page.getByText("Only admins can change rules and webhooks.")).toBeVisible();
  await expect(page.getByRole("form", { name: "New alert rule" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Create rule|Edit|Disable|Delete)$/ })).toHaveCount(0);
  await page.getByRole("tab", { name: "Webhooks" }).click();
  const viewerRow = page.locator(`tr[data-endpoint="${hook}"]`);
  await expect(viewerRow).toContainText("http://127.0.0.1:");
  await expect(viewerRow).not.toContainText("/hook");
  await expect(page.getByRole("form", { name: "New webhook endpoint" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Create webhook|Send test|Reveal|Rotate|Delete|Edit)$/ })).toHaveCount(0);
});
