/**
 * E2E: the dashboard server (scripts/dashboard-server.ts, after `npx next build`) on a free port
 * against a fresh database dedup_e2e_<random>, migrated and given its users by e2e/serve.ts;
 * Debian's Chromium.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { defineConfig } from "@playwright/test";

// Chosen once in the main process; workers inherit the environment.
process.env.E2E_DB ??= `dedup_e2e_${randomBytes(5).toString("hex")}`;
process.env.E2E_PORT ??= execFileSync(process.execPath, ["-e", "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"])
  .toString()
  .trim();

// The dashboard reaches RocketMQ here; specs that need a broker start a dev broker on this port.
process.env.E2E_BROKER_PORT ??= execFileSync(process.execPath, ["-e", "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"])
  .toString()
  .trim();

const baseURL = `http://127.0.0.1:${process.env.E2E_PORT}`;
const serverUrl = (process.env.E2E_DATABASE_SERVER_URL ?? "mysql://root@127.0.0.1:3306").replace(/\/$/, "");

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "e2e/artifacts/test-results",
  forbidOnly: !!process.env.CI,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // scripts/run-tests.mjs sets PLAYWRIGHT_JSON_OUTPUT_NAME and sums the JSON report.
  reporter: [["list"], ["html", { outputFolder: "e2e/artifacts/report", open: "never" }], ...(process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["json"] as ["json"]] : [])],
  globalTeardown: "./e2e/global-teardown.ts",
  use: {
    baseURL,
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: {
    command: "npx tsx e2e/serve.ts",
    url: `${baseURL}/api/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: { DATABASE_URL: `${serverUrl}/${process.env.E2E_DB}`, E2E_PORT: process.env.E2E_PORT, LOG_LEVEL: "warn", PORT: process.env.E2E_PORT, ROCKETMQ_ENDPOINTS: `127.0.0.1:${process.env.E2E_BROKER_PORT}`, WEBHOOK_ALLOW_NETWORKS: "loopback" },
  },
});
