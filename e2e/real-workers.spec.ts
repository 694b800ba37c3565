/**
 * The operator's view of a dead worker, with REAL workers: a dev broker in this process and two dedup worker
 * processes (e2e/fixtures/effect-worker.ts, lease mode, policy `hold`, lease 2 s) write to the
 * same database as the e2e dashboard server. The victim processes orders and producer resends,
 * then is SIGKILLed mid-handler; its claim is stuck and orphaned, and the redelivered copy waits
 * in the survivor for an operator. The operator sees the group's duplicate hits by cause, releases
 * the stuck claim with a reason, finds it audited, and sees the message processed exactly once.
 */
import { randomBytes } from "node:crypto";
import { Cleanup, sendAll, spawnWorker, startBroker, startProducer, waitUntil } from "../test/support/broker-harness";
import { expect, test } from "./fixtures/test";
import { effectWorkerEnv, order, rows } from "./fixtures/workers";

const suffix = randomBytes(4).toString("hex");
const GROUP = `e2e-pay-${suffix}`;
const TOPIC = `e2e-orders-${suffix}`;
const cleanup = new Cleanup();

test.afterAll(async () => {
  await cleanup.run(); // SIGKILLs any worker still running, shuts the producer and the broker down
});

test("real workers: a SIGKILLed worker's stuck claim is released by an operator, audited, and the message then processed once", async ({ page, signIn, db }) => {
  test.setTimeout(90_000);
  const broker = await startBroker(cleanup, { heartbeatTimeoutS: 2 });
  const workerEnv = (slowDelayMs: number) => effectWorkerEnv({ endpoint: broker.endpoint, group: GROUP, topic: TOPIC, slowDelayMs, policy: "hold" });
  const liveWorkerIds = async () => (await rows(db, "SELECT id FROM worker_instance WHERE consumer_group = ? AND state = 'live' ORDER BY started_at", [GROUP])).map((r) => String(r.id));
  const claimOf = async (key: string) => (await rows(db, "SELECT id, state, owner, fence, lease_until < UTC_TIMESTAMP(3) AS expired FROM dedup_claim WHERE consumer_group = ? AND dedup_key = ?", [GROUP, Buffer.from(key)]))[0];

  // 1. The victim (slow orders take 10 min) handles ordinary orders and two producer resends.
  const victim = spawnWorker(cleanup, "e2e/fixtures/effect-worker.ts", workerEnv(600_000));
  await waitUntil("victim registered", async () => (await liveWorkerIds()).length === 1, 40_000).catch((err) => {
    throw new Error(`${err}\n${victim.stderr()}`);
  });
  const [victimId] = await liveWorkerIds();
  const producer = await startProducer(cleanup, broker.endpoint, [TOPIC]);
  const keys = [0, 1, 2, 3, 4].map((i) => `order-${suffix}-${i}`);
  await sendAll(producer, TOPIC, keys.map((k) => order(k)));
  await waitUntil("ordinary orders done", async () => (await rows(db, "SELECT id FROM dedup_claim WHERE consumer_group = ? AND state = 'DONE'", [GROUP])).length === 5, 30_000);
  // A producer resend: same business key, new msgId.
  await sendAll(producer, TOPIC, [order(keys[0]), order(keys[1])]);
  const slowKey = `order-${suffix}-slow`;
  await sendAll(producer, TOPIC, [order(slowKey, true)]);
  await waitUntil("resends acked as duplicates", () => broker.admin.groupStats(GROUP, TOPIC).acked === 7, 30_000);
  await waitUntil("victim mid-handler on the slow order", async () => (await claimOf(slowKey))?.owner === victimId, 30_000);
  // The victim's rollups reach the database (FLUSH_INTERVAL_S=1) before it dies.
  await waitUntil("resends flushed to the rollups", async () => Number((await rows(db, "SELECT SUM(dup_producer_resend) AS n FROM group_totals WHERE consumer_group = ?", [GROUP]))[0]?.n) === 2, 15_000);

  // 2. A survivor joins; then the victim dies mid-handler, its claim still CLAIMED.
  const survivor = spawnWorker(cleanup, "e2e/fixtures/effect-worker.ts", workerEnv(0));
  await waitUntil("survivor registered", async () => (await liveWorkerIds()).length === 2, 40_000).catch((err) => {
    throw new Error(`${err}\n${survivor.stderr()}`);
  });
  const survivorId = (await liveWorkerIds()).find((id) => id !== victimId)!;
  victim.child.kill("SIGKILL");
  await victim.exited;
  // Stuck (lease ran out) and orphaned (the survivor recorded the victim's heartbeat timeout)…
  await waitUntil("claim stuck and orphaned", async () => {
    const c = await claimOf(slowKey);
    const [w] = await rows(db, "SELECT state FROM worker_instance WHERE id = ?", [victimId]);
    return c?.state === "CLAIMED" && Number(c.expired) === 1 && w?.state === "dead";
  }, 30_000);
  // …and the broker's redelivery waits in the survivor for an operator (policy hold).
  await waitUntil("survivor holds the redelivered copy", async () => (await rows(db, "SELECT id FROM dedup_event WHERE consumer_group = ? AND kind = 'expiry' AND outcome = 'held'", [GROUP])).length === 1, 30_000);
  const stuck = await claimOf(slowKey);
  const stuckId = String(stuck.id);
  expect(stuck.owner).toBe(victimId);
  expect(await rows(db, "SELECT runs FROM e2e_effect WHERE consumer_group = ? AND order_key = ?", [GROUP, Buffer.from(slowKey)])).toHaveLength(0);

  // 3. The operator sees the group with its duplicate hits by cause and the stuck claim.
  await signIn("operator");
  const row = page.locator(`tr[data-group="${GROUP}"]`);
  await expect(row.locator('[data-cause="producer_resend"]')).toHaveText("Producer resend 2", { timeout: 20_000 });
  await expect(row.getByRole("link", { name: /^1 · oldest/ })).toBeVisible({ timeout: 15_000 });
  const cells = row.locator("td");
  await expect(cells.nth(5)).toHaveText("1"); // orphaned: its owner is dead
  await expect(cells.nth(8)).toHaveText("1 / 2"); // workers live / seen
  await page.screenshot({ path: "e2e/artifacts/real-workers-overview.png" });

  await row.getByRole("link", { name: GROUP }).click();
  await expect(page.getByRole("heading", { name: "Duplicate hits by cause" })).toBeVisible();
  await page.getByRole("button", { name: "Show 1 stopped instance" }).click();
  await expect(page.locator(`tr[data-worker="${victimId}"]`)).toContainText("dead");
  await expect(page.locator(`tr[data-worker="${survivorId}"]`)).toContainText("alive");
  const claimRow = page.locator(`tr[data-claim="${stuckId}"]`);
  await expect(claimRow).toContainText(slowKey);
  await expect(claimRow).toContainText("dead");
  await page.screenshot({ path: "e2e/artifacts/real-workers-group.png", fullPage: true });

  // 4. Release it with a reason.
  await claimRow.getByRole("button", { name: "Release…" }).click();
  const dialog = page.getByRole("dialog", { name: "Release 1 claim" });
  await expect(dialog).toContainText(slowKey);
  await expect(dialog).toContainText("deleted → message runs again");
  const reason = `victim ${suffix} SIGKILLed mid-payment; no e2e_effect row, safe to re-run`;
  await dialog.getByLabel(/Reason/).fill(reason);
  await dialog.getByRole("button", { name: "Release 1 claim" }).click();
  await expect(dialog).toContainText("1 of 1 applied");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(claimRow).toHaveCount(0);

  // 5. Audited.
  await page.getByRole("link", { name: "Audit log" }).click();
  const entry = page.locator("tr[data-action=release]", { hasText: reason });
  await expect(entry).toContainText("user:operator@e2e.test");
  await expect(entry).toContainText("ok");
  await expect(entry).toContainText(slowKey);

  // 6. The waiting copy claims the key again and completes: effect once, claim DONE by the survivor.
  await waitUntil("slow order done by the survivor", async () => (await claimOf(slowKey))?.state === "DONE", 30_000);
  expect((await claimOf(slowKey)).owner).toBe(survivorId);
  // The re-run (a copy that ran after the operator's release) is written just after the commit:
  // wait for it before the page renders once.
  await waitUntil("re-run recorded", async () => (await rows(db, "SELECT id FROM dedup_event WHERE consumer_group = ? AND outcome = 'claimed_after_release'", [GROUP])).length === 1, 10_000);
  await entry.getByRole("link", { name: slowKey }).click();
  await expect(page.getByRole("heading", { name: "Key explorer" })).toBeVisible();
  const history = page.locator("section.history", { hasText: GROUP });
  await expect(history.locator("dd .badge").first()).toHaveText("DONE");
  await expect(history).toContainText(survivorId);
  await expect(history.locator(".timeline")).toContainText("expiry");
  await expect(history.locator(".timeline")).toContainText("operator release by user:operator@e2e.test");
  await expect(history.locator(".timeline")).toContainText("claimed_after_release");
  await page.screenshot({ path: "e2e/artifacts/real-workers-key.png", fullPage: true });

  const effects = await rows(db, "SELECT order_key, runs FROM e2e_effect WHERE consumer_group = ? ORDER BY order_key", [GROUP]);
  expect(effects.map((e) => [String(e.order_key), Number(e.runs)])).toEqual([...keys, slowKey].sort().map((k) => [k, 1]));
  await waitUntil("every message acked", () => broker.admin.groupStats(GROUP, TOPIC).acked === 8, 15_000);

  // The copy that ran after the release is a re-run (its owner died: a rebalance replay), not a
  // duplicate hit acked away: the group page counts one re-run and no duplicate of any cause.
  await page.goto(`/groups/${encodeURIComponent(GROUP)}`);
  await expect(page.locator(".stat", { has: page.locator(".stat-label", { hasText: /^Re-runs$/ }) }).locator(".stat-value")).toHaveText("1", { timeout: 20_000 });
  await page.goto("/");
  await expect(page.locator(`tr[data-group="${GROUP}"] [data-cause="rebalance_replay"]`)).toHaveCount(0);
});
