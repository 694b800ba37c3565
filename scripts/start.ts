/**
 * `npm start`: the whole product on one machine — migrate the database, start the dev broker
 * (unless ROCKETMQ_ENDPOINTS points at a real proxy), the demo workers and producer, the alert
 * evaluator and the dashboard (production build), then print the URL and the login.
 * Ctrl-C stops everything cleanly and exits 0.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { config } from "../lib/config";
import { migrate } from "@dedup-audit/runtime/db";
import { isUnreachable } from "@dedup-audit/runtime/db";
import { spawnChild, stopChild } from "./children";
import { exitWithFriendlyError } from "./friendly-errors";

let dashboard: ChildProcess | undefined;
let stopDemo: (() => Promise<void>) | undefined;
let stopping = false;

/** Ctrl-C: workers first (they finish and ack in-flight messages), then the dashboard, broker last. */
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\n[start] stopping (workers finish their in-flight messages first)…");
  await stopDemo?.().catch(() => {});
  await stopChild(dashboard);
  console.log("[start] stopped");
  process.exit(code);
}

async function main(): Promise<void> {
  const cfg = config();
  await migrate(cfg.DATABASE_URL);

  if (!existsSync(".next/BUILD_ID")) {
    console.log("[start] building the dashboard (first start only, a few minutes)…");
    const r = spawnSync("npx", ["next", "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    if (r.status !== 0) throw new Error("next build failed");
  }

  const { startDemo } = await import("./start-demo");
  stopDemo = await startDemo(cfg);

  dashboard = spawnChild(process.execPath, ["--import", "tsx", "scripts/dashboard-server.ts", "-p", String(cfg.PORT)], { NEXT_TELEMETRY_DISABLED: "1" });
  dashboard.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`[start] the dashboard exited (${signal ?? code}); stopping everything`);
    void stop(1);
  });
  await waitForHealth(`http://127.0.0.1:${cfg.PORT}/api/health`, dashboard);

  const { ensureFirstAdmin } = await import("../lib/auth/first-admin").catch(() => ({ ensureFirstAdmin: undefined }));
  const admin = ensureFirstAdmin ? await ensureFirstAdmin() : undefined;
  const url = cfg.PUBLIC_URL ?? `http://localhost:${cfg.PORT}`;
  console.log("\n──────────────────────────────────────────────────────────────");
  console.log(` dedup-audit is running: ${url}`);
  if (admin) {
    console.log(` login: ${admin.email}`);
    console.log(admin.password ? ` password: ${admin.password}   (one-time: change it under Users)` : " password: the ADMIN_PASSWORD you set (or the one printed at first start)");
  }
  console.log(" Ctrl-C stops everything.");
  console.log("──────────────────────────────────────────────────────────────\n");
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error("the dashboard exited during start");
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the dashboard did not answer ${url} within 60 s`);
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
main().catch(async (err) => {
  stopping = true;
  dashboard?.kill("SIGTERM");
  await stopDemo?.().catch(() => {});
  exitWithFriendlyError(err, isUnreachable);
});
