/**
 * Rebalance markers that tell the truth, with REAL workers (e2e/fixtures/effect-worker.ts, lease
 * mode, policy `takeover`, lease 2 s) on a dev broker in this process: two workers are SIGKILLed
 * mid-handler 40 s apart. The group page draws two timeout markers, each at its own worker's last
 * sign of life (not when the registry noticed), and clicking each lists exactly the replay of the
 * message that worker held — the number the marker shows. Then the group page at scale (40+
 * rebalances, 300+ stuck claims) is saved at 1440 and 390 px.
 */
import { randomBytes } from "node:crypto";
import { Cleanup, sendAll, sleep, spawnWorker, startBroker, startProducer, waitUntil } from "../test/support/broker-harness";
import { seedClaim, seedEvent, seedRebalance, seedStats, seedWorker, uniqueName } from "../test/support/seed";
import { expect, test } from "./fixtures/test";
import { effectWorkerEnv, order, rows } from "./fixtures/workers";

const suffix = randomBytes(4).toString("hex");
const GROUP = `e2e-reb-${suffix}`;
const TOPIC = `e2e-reb-orders-${suffix}`;
const cleanup = new Cleanup();

test.afterAll(async () => {
  await cleanup.run();
});

test("two workers SIGKILLed 40 s apart: two markers at their own times, each listing its own holder's replay", async ({ page, signIn, db }) => {
  test.setTimeout(240_000);
  const broker = await startBroker(cleanup, { heartbeatTimeoutS: 2 });
  const env = (slowDelayMs: number) => effectWorkerEnv({ endpoint: broker.endpoint, group: GROUP, topic: TOPIC, slowDelayMs, policy: "takeover" });
  const live = async () => (await rows(db, "SELECT id FROM worker_instance WHERE consumer_group = ? AND state = 'live' ORDER BY started_at", [GROUP])).map((r) => String(r.id));
  const everyWorker = async () => (await rows(db, "SELECT id FROM worker_instance WHERE consumer_group = ?", [GROUP])).map((r) => String(r.id));
  const ownerOf = async (key: string) => (await rows(db, "SELECT owner FROM dedup_claim WHERE consumer_group = ? AND dedup_key = ?", [GROUP, Buffer.from(key)]))[0]?.owner as string | undefined;
  const replaysOf = async (key: string) =>
    (await rows(db, "SELECT msg_id FROM dedup_event WHERE consumer_group = ? AND dedup_key = ? AND kind IN ('duplicate', 'rerun') AND cause = 'rebalance_replay'", [GROUP, Buffer.from(key)])).map((r) => String(r.msg_id));
  const producer = await startProducer(cleanup, broker.endpoint, [TOPIC]);

  /** A slow worker joins (others may be running) and is made to hold a slow order: the order it holds. */
  async function victimHolding(tag: string): Promise<{ id: string; key: string; worker: ReturnType<typeof spawnWorker> }> {
    const known = await everyWorker();
    const worker = spawnWorker(cleanup, "e2e/fixtures/effect-worker.ts", env(600_000));
    const newcomer = async () => (await live()).find((w) => !known.includes(w));
    await waitUntil(`${tag} registered`, async () => (await newcomer()) !== undefined, 40_000).catch((err) => {
      throw new Error(`${err}\n${worker.stderr()}`);
    });
    const id = (await newcomer())!;
    // Another live worker may pop a slow order first (it finishes it at once): send until this one holds one.
    for (let i = 0; i < 20; i++) {
      const key = `slow-${tag}-${suffix}-${i}`;
      await sendAll(producer, TOPIC, [order(key, true)]);
      await waitUntil(`${key} claimed`, async () => (await ownerOf(key)) !== undefined, 20_000);
      if ((await ownerOf(key)) === id) return { id, key, worker };
    }
    throw new Error(`${tag} never got a slow order`);
  }

  // 1. The first victim holds a slow order; a survivor joins; 11 s later (so the join is a
  //    rebalance of its own) the victim is SIGKILLed mid-handler.
  const first = await victimHolding("first");
  const survivor = spawnWorker(cleanup, "e2e/fixtures/effect-worker.ts", env(0));
  await waitUntil("survivor registered", async () => (await everyWorker()).length === 2, 40_000).catch((err) => {
    throw new Error(`${err}\n${survivor.stderr()}`);
  });
  await sleep(11_000);
  first.worker.child.kill("SIGKILL");
  const firstKilledAt = Date.now();
  await first.worker.exited;
  await waitUntil("first holder's copy replayed", async () => (await replaysOf(first.key)).length > 0, 40_000);

  // 2. A second victim, killed 40 s after the first.
  const second = await victimHolding("second");
  await sleep(Math.max(0, firstKilledAt + 40_000 - Date.now()));
  second.worker.child.kill("SIGKILL");
  await second.worker.exited;
  await waitUntil("second holder's copy replayed", async () => (await replaysOf(second.key)).length > 0, 40_000);
  await waitUntil("both timeouts recorded", async () => (await rows(db, "SELECT id FROM rebalance_event WHERE consumer_group = ? AND kind = 'timeout'", [GROUP])).length === 2, 20_000);
  const timeouts = await rows(db, "SELECT worker_id, ts, last_seen_at FROM rebalance_event WHERE consumer_group = ? AND kind = 'timeout' ORDER BY last_seen_at", [GROUP]);
  expect(timeouts.map((t) => String(t.worker_id))).toEqual([first.id, second.id]);

  // 3. The group page: two timeout markers, at the workers' last heartbeats, about 40 s apart.
  await signIn("viewer");
  await page.goto(`/groups/${encodeURIComponent(GROUP)}?range=15m`);
  await expect(page.getByRole("heading", { name: "Duplicate hits by cause" })).toBeVisible();
  // Each kill's timeout, drawn at its worker's last heartbeat; the handle it shares with rebalances
  // a few seconds from it (the next victim joining), and no more.
  const timeoutOf = (workerId: string) => page.locator(`g.rebalance[data-kind="timeout"][data-worker="${workerId}"]`);
  const handleOf = (workerId: string) => page.locator("g.rebalance-marker", { has: timeoutOf(workerId) });
  await expect(timeoutOf(first.id)).toHaveCount(1, { timeout: 15_000 });
  await expect(timeoutOf(second.id)).toHaveCount(1);
  const drawnAt = async (workerId: string) => Date.parse((await timeoutOf(workerId).getAttribute("data-at"))!);
  const [firstAt, secondAt] = [await drawnAt(first.id), await drawnAt(second.id)];
  expect(firstAt).toBe((timeouts[0].last_seen_at as Date).getTime());
  expect(secondAt).toBe((timeouts[1].last_seen_at as Date).getTime());
  // Drawn when the worker was last alive: before the registry noticed.
  expect(firstAt).toBeLessThan((timeouts[0].ts as Date).getTime());
  expect(Math.abs(secondAt - firstAt - 40_000)).toBeLessThan(5_000);
  // Two handles, never one chained across the 40 s: each holds one kill (and maybe a join seconds from it).
  for (const victim of [first, second]) await expect(handleOf(victim.id).locator('g.rebalance[data-kind="timeout"]')).toHaveCount(1);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: "e2e/artifacts/rebalances-two-kills.png", fullPage: true });

  // 4. Each marker lists exactly its own holder's replay, as many as it says.
  for (const [victim, other] of [
    [first, second],
    [second, first],
  ]) {
    const counted = Number(await handleOf(victim.id).getAttribute("data-replays"));
    expect(counted).toBeGreaterThan(0);
    expect(Number(await timeoutOf(victim.id).getAttribute("data-replays"))).toBe((await replaysOf(victim.key)).length);
    await handleOf(victim.id).click();
    const events = page.getByRole("region", { name: "Events" });
    await expect(events.getByRole("heading", { name: /^Replays counted for/ })).toBeVisible();
    await expect(events.locator("tbody tr")).toHaveCount(counted);
    await expect(events).toContainText(victim.key);
    await expect(events).not.toContainText(other.key);
    await events.getByRole("button", { name: "Show all recent events" }).click();
  }
});

test("the group page at scale: 40+ rebalances and 300+ stuck claims, at 1440 and 390 px", async ({ page, signIn, db }) => {
  test.setTimeout(120_000);
  const group = uniqueName("e2e-scale");
  for (let m = 30; m >= 1; m--) await seedStats(db, { group, minutesAgo: m, consumed: 400, rebalanceReplay: m % 3 === 0 ? 4 : 0, producerResend: 2, redelivery: 1 });
  await seedWorker(db, { id: `${group}-host-100-aaaa0000`, group, alive: true });
  await seedWorker(db, { id: `${group}-host-101-bbbb0000`, group, alive: true });
  // A worker killed every 42 s over 15 minutes (44 rebalances), its replacement joining 3 s after its death.
  for (let i = 0; i < 22; i++) {
    const agoS = 20 * 60 - i * 42;
    const dead = `${group}-host-${200 + i}-dead${String(i).padStart(4, "0")}`;
    await seedWorker(db, { id: dead, group, alive: false });
    await seedRebalance(db, { group, kind: "timeout", workerId: dead, agoS: agoS - 4, lastSeenAgoS: agoS, before: ["a", "b"], after: ["a"] });
    await seedRebalance(db, { group, kind: "join", workerId: `${group}-host-${300 + i}-join${String(i).padStart(4, "0")}`, agoS: agoS - 3, before: ["a"], after: ["a", "b"] });
    await seedEvent(db, { group, key: `replayed-${i}`, msgId: `M-${group}-${i}`, kind: "duplicate", cause: "rebalance_replay", agoS: agoS - 2, attempt: 2 });
  }
  for (let i = 0; i < 320; i++) await seedClaim(db, { group, key: `stuck-order-${i}`, owner: `${group}-host-${200 + (i % 22)}-dead${String(i % 22).padStart(4, "0")}`, leaseExpiredAgoS: 60 + i * 3 });
  await seedEvent(db, { group, key: "failed-order", msgId: `M-${group}-failed`, kind: "released_on_error", agoS: 30 });

  await signIn("operator");
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`/groups/${encodeURIComponent(group)}`);
  const stuck = page.getByRole("region", { name: "Stuck claims" });
  await expect(page.locator(".stat", { hasText: "Stuck claims" }).locator(".stat-value")).toHaveText("320");
  await expect(stuck.getByRole("navigation", { name: "Stuck claims pages" })).toContainText("1–25 of 320");
  await expect(stuck.locator("tbody tr")).toHaveCount(25);
  await expect(page.locator("g.rebalance-marker")).toHaveCount(22); // each kill and its join, grouped, never chained
  await page.screenshot({ path: "e2e/artifacts/group-at-scale-1440.png", fullPage: true });
  await page.locator(".chart").screenshot({ path: "e2e/artifacts/group-at-scale-chart-1440.png" });

  // The page's view is in its URL: the next page of claims, and the events of one type.
  await stuck.getByRole("button", { name: "Next ›" }).click();
  await expect(stuck.getByRole("navigation", { name: "Stuck claims pages" })).toContainText("26–50 of 320");
  await expect(page).toHaveURL(/page=1/);
  await page.getByRole("region", { name: "Events" }).getByLabel("Type").selectOption("released_on_error");
  await expect(page.getByRole("region", { name: "Events" })).toContainText("failed-order");
  await expect(page).toHaveURL(/events=released_on_error/);
  await page.reload();
  await expect(stuck.getByRole("navigation", { name: "Stuck claims pages" })).toContainText("26–50 of 320");

  // "All matching": one dialog with every claim (up to the per-request cap), a reason required.
  await stuck.getByRole("button", { name: "Release all 320 matching…" }).click();
  const dialog = page.getByRole("dialog", { name: "Release 320 claims" });
  await expect(dialog).toContainText("stuck-order-319");
  await expect(dialog.getByRole("button", { name: "Release 320 claims" })).toBeDisabled();
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/groups/${encodeURIComponent(group)}`);
  await expect(stuck.locator("tbody tr").first()).toBeVisible();
  // On a phone no row is wider than the screen: claims read as cards, the key first.
  const widest = await page.evaluate(() => Math.max(...[...document.querySelectorAll("table.cards tr")].map((r) => r.getBoundingClientRect().right)));
  expect(widest).toBeLessThanOrEqual(390);
  // Nothing makes the page wider than the phone (what sits in a scrolling frame, like the events table, may be).
  const wider = await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > 391)
      .filter((e) => {
        for (let a = e.parentElement; a; a = a.parentElement) if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return false;
        return true;
      })
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} → ${Math.round(e.getBoundingClientRect().right)}`)
      .slice(0, 5),
  );
  expect(wider).toEqual([]);
  await page.screenshot({ path: "e2e/artifacts/group-at-scale-390.png", fullPage: true });
});
