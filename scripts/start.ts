/**
 * `npm start`: the whole product on one machine — migrate the database, start the dev broker
 * (unless ROCKETMQ_ENDPOINTS points at a real proxy), the demo workers and producer, the alert
 * evaluator and the dashboard (production build), then print the URL and the login.
 * Ctrl-C, SIGTERM or SIGHUP (to us, to npm or to the whole process group), npm's death or our
 * output pipe closing all lead to the same ordered stop, then exit 0.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { config } from "../lib/config";
import { isUnreachable } from "@dedup-audit/runtime/db";
import { migrateDatabase } from "../lib/db/migrations";
import { spawnNode, type Child } from "./children";
import { exitWithFriendlyError } from "./friendly-errors";
import { complain, onOutputClosed, say } from "./output";
import type { Demo } from "./start-demo";
import { Supervisor } from "./supervisor";
// npm gone (SIGHUP, SIGKILL) re-parents us: stop everything as on SIGTERM.
import "./parent-guard.mjs";

// The dashboard is supervised like the demo's children: killed from outside or crashed, it is
// named in one line and started again; in a crash loop there is nothing left worth running.
const dashboard = new Supervisor({
  complain,
  onGiveUp: () => void stopEverything("the dashboard keeps crashing").then(() => process.exit(1)),
});
let demo: Demo | undefined;
let stopped: Promise<void> | undefined;

/** The dashboard: the production build behind our server (it stamps each request's peer address), on `port`. */
function spawnDashboard(port: number): Child {
  return spawnNode("dashboard", ["--import", "tsx", "scripts/dashboard-server.ts", "-p", String(port)], { NEXT_TELEMETRY_DISABLED: "1" });
}

/** Once, whatever asked first: workers first (they finish and ack in-flight messages), then the dashboard, the broker last. */
function stopEverything(reason: string): Promise<void> {
  stopped ??= (async () => {
    say(`\n[start] ${reason}: stopping (workers finish their in-flight messages first)…`);
    // A start still under way first reaches the point where everything it launched is known.
    await startup.catch(() => {});
    await demo?.stopWorkers();
    await dashboard.stopAll();
    await demo?.stopBroker().catch((err: unknown) => complain(`[start] dev broker: ${String(err)}`));
    say("[start] stopped");
  })();
  return stopped;
}

const stopping = () => stopped !== undefined;

async function start(): Promise<void> {
  const cfg = config();
  await migrateDatabase(cfg.DATABASE_URL);
  if (stopping()) return;

  if (!existsSync(".next/BUILD_ID")) buildDashboard();
  if (stopping()) return;

  const { startDemo } = await import("./start-demo");
  demo = await startDemo(cfg);
  if (stopping()) return;

  dashboard.add("dashboard", () => spawnDashboard(cfg.PORT));
}

/**
 * `next build`, its ~100 lines (warnings with import traces, the route table) summed up in one
 * line; the whole output only when the build fails, since then it says why.
 */
function buildDashboard(): void {
  say("[start] building the dashboard (first start only, a few minutes)…");
  const began = Date.now();
  const r = spawnSync("npx", ["next", "build"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.status !== 0) {
    complain(output);
    throw new Error("next build failed (its output is above)");
  }
  const warnings = (output.match(/^\s*⚠/gm) ?? []).length;
  const routes = (output.match(/^[├└┌]\s/gm) ?? []).length;
  say(`[start] dashboard built in ${Math.round((Date.now() - began) / 1000)} s (${routes} routes${warnings ? `, ${warnings} build warning${warnings === 1 ? "" : "s"}: run \`npx next build\` to read them` : ""})`);
}

async function announce(): Promise<void> {
  const cfg = config();
  await waitForHealth(`http://${reachableHost(cfg.HOST)}:${cfg.PORT}/api/health`);
  if (stopping()) return;
  const { ensureFirstAdmin } = await import("../lib/auth/first-admin").catch(() => ({ ensureFirstAdmin: undefined }));
  const admin = ensureFirstAdmin ? await ensureFirstAdmin() : undefined;
  const url = cfg.PUBLIC_URL ?? `http://localhost:${cfg.PORT}`;
  say("\n──────────────────────────────────────────────────────────────");
  say(` dedup-audit is running: ${url}`);
  say(` listening on ${cfg.HOST}:${cfg.PORT}${isLoopback(cfg.HOST) ? " (this machine only; set HOST to open it to the network)" : ""}`);
  if (admin) {
    say(` login: ${admin.email}`);
    say(admin.password ? ` password: ${admin.password}   (one-time: change it under Account)` : " password: the ADMIN_PASSWORD you set (or the one printed at first start)");
  }
  say(" Ctrl-C stops everything.");
  say("──────────────────────────────────────────────────────────────\n");
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");
/** Where this machine reaches the dashboard bound to `host` (a wildcard bind answers on loopback). */
const reachableHost = (host: string) => (host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host);

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 120 && !stopping(); i++) {
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

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void stopEverything(signal).then(() => process.exit(0)));
}
onOutputClosed(() => void stopEverything("output closed").then(() => process.exit(0)));

const startup = start();
startup.then(announce).catch(async (err: unknown) => {
  if (stopping()) return;
  await stopEverything("start failed");
  exitWithFriendlyError(err, isUnreachable);
});
