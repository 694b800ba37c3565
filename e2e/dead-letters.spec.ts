/**
 * Dead letters in the browser, with a real dedup worker in this process and a dev broker on the
 * port the dashboard server was told (E2E_BROKER_PORT): a handler failing with two reasons leaves
 * dead letters the page groups by reason; an operator previews a re-drive of one group, confirms
 * it with a reason and follows it to completion; a slow re-drive of the other group is aborted
 * halfway, and what was not sent stays in the DLQ.
 */
import { randomBytes } from "node:crypto";
import { createDedupConsumer } from "@dedup-audit/runtime";
import { startDevBroker, type DevBroker } from "../workers/dev-broker/index";
import { Cleanup, quietLog, sendAll, startProducer, TEST_WORKER, waitUntil } from "../test/support/broker-harness";
import { expect, test } from "./fixtures/test";
import { e2eDatabaseUrl } from "./fixtures/users";

const suffix = randomBytes(4).toString("hex");
const GROUP = `e2e-dl-${suffix}`;
const TOPIC = `e2e-dl-orders-${suffix}`;
const cleanup = new Cleanup();
let broker: DevBroker;
let fixed = false;

test.afterAll(async () => {
  await cleanup.run();
});

test.beforeAll(async () => {
  test.setTimeout(90_000);
  broker = await startDevBroker({ port: Number(process.env.E2E_BROKER_PORT), heartbeatTimeoutS: 2, longPollingTimeoutS: 1, sweepIntervalMs: 100 });
  cleanup.add(() => broker.close());
  broker.admin.setGroupPolicy(GROUP, { maxAttempts: 2, initialS: 1, maxS: 1 });
  const consumer = createDedupConsumer({
    group: GROUP,
    topic: TOPIC,
    mode: "lease",
    endpoints: broker.endpoint,
    databaseUrl: e2eDatabaseUrl(),
    ...TEST_WORKER,
    log: quietLog,
    handler: async (m) => {
      const key = m.key.toString();
      if (fixed) return;
      if (key.startsWith("card-")) throw new Error(`card declined for order ${key.slice(5)}`);
      throw new RangeError(`stock of sku ${key.slice(6)} below zero`);
    },
  });
  const running = await consumer.start();
  cleanup.add(() => running.stop());
  const producer = await startProducer(cleanup, broker.endpoint, [TOPIC]);
  const keys = [...Array.from({ length: 8 }, (_, i) => `card-${i}`), ...Array.from({ length: 4 }, (_, i) => `stock-${i}`)];
  await sendAll(producer, TOPIC, keys.map((key) => ({ key, body: Buffer.from(key) })));
  await waitUntil("12 dead letters", () => broker.admin.groupStats(GROUP, TOPIC).dlq === 12, 60_000);
  fixed = true;
});

test("dead letters: grouped by reason, previewed, re-driven to completion, and a slow re-drive aborted halfway", async ({ page, signIn }) => {
  test.setTimeout(120_000);
  await signIn("operator");
  await page.goto(`/groups/${GROUP}/dead-letters`);
  const groups = page.getByTestId("reason-group");
  await expect(groups).toHaveCount(2, { timeout: 20_000 });
  await expect(groups.nth(0)).toContainText("Error card declined for order <n>");
  await expect(groups.nth(0)).toContainText("8");
  await expect(groups.nth(1)).toContainText("RangeError stock of sku <n> below zero");
  await expect(groups.nth(1)).toContainText("4");
  await expect(page.getByTestId("dead-letter")).toHaveCount(12);

  // Filter to one reason: the list follows.
  await groups.nth(1).getByRole("button").first().click();
  await expect(page.getByTestId("dead-letter")).toHaveCount(4);

  // Re-drive the stock group: preview, reason, confirm, progress to completion.
  await groups.nth(1).getByRole("button", { name: "Re-drive this group" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("redrive-preview")).toContainText("4 will run again · 0 will be acked as duplicates");
  const confirm = dialog.getByRole("button", { name: "Re-drive 4 messages" });
  await expect(confirm).toBeDisabled(); // no reason yet
  await dialog.getByLabel(/Reason/).fill("stock service fixed");
  await confirm.click();
  await expect(page.getByTestId("redrive-state")).toHaveText("done", { timeout: 30_000 });
  await expect(page.getByTestId("redrive-counts")).toContainText("4 sent · 0 failed · 0 pending");
  await expect(groups).toHaveCount(1, { timeout: 15_000 }); // the stock group left the DLQ
  await page.getByLabel("Filter by reason").selectOption(""); // clear the filter
  await expect(page.getByTestId("dead-letter")).toHaveCount(8);

  // A slow re-drive of the card group, aborted halfway: the rest stays in the DLQ.
  await groups.nth(0).getByRole("button", { name: "Re-drive this group" }).click();
  await expect(dialog.getByTestId("redrive-preview")).toContainText("8 will run again");
  await dialog.getByLabel(/Reason/).fill("card processor fixed");
  await dialog.getByLabel("Messages per second").fill("1");
  await dialog.getByRole("button", { name: "Re-drive 8 messages" }).click();
  // This job's progress (of 8), not the finished job's of 4 that the panel showed a moment ago.
  await expect(page.getByTestId("redrive-counts")).toContainText(/^[2-5] sent · .* of 8,/, { timeout: 20_000 });
  await page.getByLabel("Reason for pause or abort").fill("enough for now");
  await page.getByRole("button", { name: "Abort" }).click();
  await expect(page.getByTestId("redrive-state")).toHaveText("aborted", { timeout: 10_000 });
  // A send already under way when the abort came finishes (its answer counts); nothing starts after.
  await expect(page.getByTestId("redrive-counts")).toContainText(" 0 pending ", { timeout: 10_000 });
  const counts = (await page.getByTestId("redrive-counts").textContent()) ?? "";
  const sent = Number(/^(\d+) sent/.exec(counts)![1]);
  expect(sent).toBeGreaterThanOrEqual(2);
  expect(sent).toBeLessThan(8);
  await expect(page.getByTestId("redrive-counts")).toContainText(`${8 - sent} not sent (aborted)`);
  await expect(page.getByTestId("dead-letter")).toHaveCount(8 - sent, { timeout: 15_000 });
  await expect(groups.nth(0)).toContainText(String(8 - sent));
});
