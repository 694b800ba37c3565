/**
 * What a reader sees, on every page: numbers with units and a sane precision, rebalance markers
 * that stay readable when several happen within a minute, a login page without console errors,
 * and no page wider than the screen at 1280 px or on a 390 px phone. Each page is saved at both
 * widths under e2e/artifacts/pages/ for a look by eye.
 */
import type { Page } from "@playwright/test";
import { evaluateOnce } from "../lib/alerts/evaluator";
import { seedEvent, seedRebalance, seedStats, uniqueName } from "../test/support/seed";
import { expect, signIn, test } from "./fixtures/test";

test("a firing alert's value prints with its unit and the decimals its comparison needs, not 11.538461538461538", async ({ page, db }) => {
  const group = uniqueName("rate-group");
  // 3 duplicates of 26 consumed: 11.538461538461538 %.
  await seedStats(db, { group, minutesAgo: 0, consumed: 26, redelivery: 3 });
  await db.query(
    `INSERT INTO alert_rule (name, kind, consumer_group, threshold, window_s, severity, enabled, created_at, updated_at)
     VALUES (?, 'dup_rate', ?, 5, 300, 'warning', 1, NOW(3), NOW(3))`,
    [uniqueName("rate rule"), group],
  );
  await evaluateOnce(db, { baseUrl: "http://127.0.0.1" });

  await signIn(page, "viewer");
  await page.goto("/alerts");
  const row = page.getByRole("row").filter({ hasText: group });
  // 11.54 against "> 5": no decimal is needed to see it is above (5.04 would print as 5.04).
  await expect(row).toContainText("12 % (> 5 %)");
  await expect(row).not.toContainText("11.538");
});

test("rebalances seconds apart share one marker with a count; hover lists them, click lists exactly the replays it counts", async ({ page, db }) => {
  test.setTimeout(120_000);
  const group = uniqueName("busy-group");
  for (let m = 30; m >= 1; m -= 1) await seedStats(db, { group, minutesAgo: m, consumed: 50, rebalanceReplay: m <= 10 ? 2 : 0 });
  const workers = ["w-a", "w-b", "w-c"].map((w) => `${group}-${w}`);
  await seedRebalance(db, { group, kind: "join", workerId: `${group}-w-early`, agoS: 25 * 60, before: [], after: [`${group}-w-early`] });
  for (const [i, w] of workers.entries()) {
    await seedRebalance(db, { group, kind: i === 0 ? "timeout" : "join", workerId: w, agoS: 10 * 60 - i * 4, before: workers.slice(0, i), after: workers.slice(0, i + 1) });
  }
  await seedEvent(db, { group, key: "replayed-after", msgId: "MSG-REPLAY-AFTER", kind: "duplicate", cause: "rebalance_replay", agoS: 8 * 60 });
  await seedEvent(db, { group, key: "replayed-before", msgId: "MSG-REPLAY-BEFORE", kind: "duplicate", cause: "rebalance_replay", agoS: 20 * 60 });
  await seedEvent(db, { group, key: "redelivered", msgId: "MSG-REDELIVERY", kind: "duplicate", cause: "redelivery", agoS: 7 * 60 });

  await signIn(page, "viewer");
  await page.goto(`/groups/${group}`);
  const chart = page.locator(".chart");
  await expect(chart.getByText("3 rebalances · 1 replay")).toBeVisible();
  await expect(chart.getByText(/^join .*w-early$/)).toBeVisible();
  await expect(chart.locator(".rebalance-marker")).toHaveCount(2);
  await expectNoOverlap(page, ".chart .rebalance-marker text");

  await chart.getByText("3 rebalances · 1 replay").hover();
  const list = page.getByRole("tooltip");
  for (const w of workers) await expect(list).toContainText(w);
  await expect(list).not.toContainText("w-early");
  await page.screenshot({ path: "e2e/artifacts/pages/rebalance-cluster-hover.png" });

  await chart.getByText("3 rebalances · 1 replay").click();
  const events = page.getByRole("region", { name: "Events" });
  await expect(events.getByRole("heading", { name: /Replays counted for 3 rebalances .*\(1\)$/ })).toBeVisible();
  await expect(events).toContainText("MSG-REPLAY-AFTER");
  await expect(events).not.toContainText("MSG-REPLAY-BEFORE");
  await expect(events).not.toContainText("MSG-REDELIVERY");
  await events.getByRole("button", { name: "Show all recent events" }).click();
  await expect(events).toContainText("MSG-REDELIVERY");

  // On a phone the chart is narrower: the two markers still do not overlap.
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverlap(page, ".chart .rebalance-marker text");
});

// The browser's own favicon request is no page request: only its console error shows it.
test("the login page loads without a console error or a failed request", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(problems).toEqual([]);
});

/** `polled`: the page refreshes itself, so it is ready once it shows when it last did. */
const PAGES = [
  { name: "overview", path: () => "/", polled: true },
  { name: "group", path: (group: string) => `/groups/${group}`, polled: true },
  { name: "stuck-claims", path: () => "/claims", polled: true },
  { name: "key-explorer", path: (group: string) => `/keys?key=order-${group}-0`, polled: false },
  { name: "alerts", path: () => "/alerts", polled: true },
  { name: "audit-log", path: () => "/audit", polled: false },
  { name: "admin", path: () => "/admin", polled: false },
];

for (const width of [1280, 390]) {
  test(`every page fits ${width} px without horizontal scrolling (screenshots in e2e/artifacts/pages)`, async ({ page, incident }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width, height: width > 800 ? 800 : 844 });
    await page.goto("/login");
    await expectFits(page, `login-${width}`);
    await signIn(page, "admin");
    for (const p of PAGES) {
      await page.goto(p.path(incident.group));
      await expect(page.locator("h1").first()).toBeVisible();
      if (p.polled) await expect(page.getByText(/updated \d/).first()).toBeVisible();
      else await page.waitForLoadState("networkidle");
      await expectFits(page, `${p.name}-${width}`);
      if (p.name === "group") await expectNoOverlap(page, ".chart .rebalance-marker text");
    }
  });
}

async function expectFits(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `e2e/artifacts/pages/${name}.png`, fullPage: true });
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth, `${name}: the page is wider than the screen`).toBeLessThanOrEqual(clientWidth);
}

async function expectNoOverlap(page: Page, selector: string): Promise<void> {
  const boxes = await page.locator(selector).evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom })));
  expect(boxes.length).toBeGreaterThan(0);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      expect(overlap, `marker labels ${i} and ${j} overlap`).toBe(false);
    }
  }
}
