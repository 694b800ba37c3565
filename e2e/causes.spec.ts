/**
 * The cause definitions are reachable from every cause legend, inside the app, and a group whose
 * hits are more than 1 % unknown says so above its chart (while one under 1 % stays quiet).
 */
import { expect, test } from "./fixtures/test";
import { seedStats, seedWorker, uniqueName } from "../test/support/seed";

test("'How is this decided?' opens the definitions; unknown above 1 % is shown loudly", async ({ page, signIn, db }) => {
  const loud = uniqueName("e2e-unknown");
  const quiet = uniqueName("e2e-known");
  await seedWorker(db, { id: `${loud}-w1`, group: loud, alive: true });
  await seedWorker(db, { id: `${quiet}-w1`, group: quiet, alive: true });
  await seedStats(db, { group: loud, minutesAgo: 2, consumed: 500, producerResend: 40, redelivery: 50, unknown: 10 }); // 10 %
  await seedStats(db, { group: quiet, minutesAgo: 2, consumed: 500, producerResend: 400, redelivery: 199, unknown: 1 }); // 0.17 %
  await signIn("viewer");

  await page.goto(`/groups/${encodeURIComponent(loud)}`);
  await expect(page.locator(".unknown-alert")).toContainText("10 of 100 duplicate hits (10 %) have the cause unknown");
  await page.getByText("How is this decided?").click();
  const popover = page.getByRole("note");
  await expect(popover).toContainText("a msgId this key had never seen, on its first arrival");
  await page.screenshot({ path: "e2e/artifacts/cause-popover.png" });
  await popover.getByRole("link", { name: /Full definitions/ }).click();
  await expect(page.getByRole("heading", { name: "How a duplicate's cause is decided" })).toBeVisible();
  await expect(page.locator("#rebalance_replay")).toContainText("its queue moved to another consumer");
  await expect(page.locator("#unknown")).toContainText("not in the registry");

  await page.goto(`/groups/${encodeURIComponent(quiet)}`);
  await expect(page.getByRole("heading", { name: "Duplicate hits by cause" })).toBeVisible();
  await expect(page.locator(".unknown-alert")).toHaveCount(0);
});
