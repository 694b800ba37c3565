/**
 * The package as a team outside this repository adopts it. `npm pack` it; in a temp
 * folder outside the repo `npm init -y` and `npm install --ignore-scripts` the tarball, the
 * official client and mysql2; a plain .mjs consumer (fixtures/consumer.mjs) migrates a fresh
 * database and consumes 500 orders with 20 % producer resends from a dev broker: every effect
 * once, the resends counted by cause in the tables the dashboard reads, SIGTERM → the process
 * exits 0 by itself, no unhandled error. The client it runs on is byte for byte the registry's.
 */
import { execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendOrders } from "../../workers/demo-producer/orders";
import { Cleanup, startBroker, startProducer, waitUntil } from "../support/broker-harness";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { rows } from "../support/deliveries";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PACKAGE_DIR = path.join(ROOT, "workers/runtime");
const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
const locked = (name: string) => `${name}@${lock.packages[`node_modules/${name}`].version}`;
const ORDERS = 500;

// A user's shell, not ours: no npm_* variables of the `npm test` that runs this file.
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_"))) as NodeJS.ProcessEnv;
const run = promisify(execFile);
async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd, env: userEnv, maxBuffer: 64 << 20 });
  return stdout;
}

let tmp: string;
let app: string;
let packed: { filename: string; files: { path: string }[] };
const cleanup = new Cleanup();
let db: TestDatabase;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "dedup-adoption-"));
  app = path.join(tmp, "service");
  mkdirSync(app);
  [packed] = JSON.parse(await npm(PACKAGE_DIR, ["pack", "--json", "--pack-destination", tmp])) as (typeof packed)[];
  await npm(app, ["init", "-y"]);
  await npm(app, ["install", "--ignore-scripts", path.join(tmp, packed.filename), locked("rocketmq-client-nodejs"), locked("mysql2")]);
  copyFileSync(path.join(import.meta.dirname, "fixtures/consumer.mjs"), path.join(app, "consumer.mjs"));
  db = await createTestDatabase({ migrate: false });
}, 300_000); // pack (builds), install: ~40 s on a quiet machine, minutes on a loaded one

afterAll(async () => {
  await cleanup.run();
  await db?.drop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("adopting @dedup-audit/runtime from its tarball", () => {
  it("the tarball holds dist/, migrations/, README.md and package.json — nothing else", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths.filter((p) => !/^(dist|migrations)\//.test(p) && p !== "README.md" && p !== "package.json")).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/rocketmq/index.js"]));
    expect(paths.some((p) => p.startsWith("migrations/") && p.endsWith("migration.sql"))).toBe(true);
  });

  it("installs the official client byte for byte as the registry has it", async () => {
    const registry = path.join(tmp, "registry");
    mkdirSync(registry);
    const [tarball] = JSON.parse(await npm(registry, ["pack", "--json", locked("rocketmq-client-nodejs")])) as { filename: string }[];
    await run("tar", ["-xzf", tarball.filename], { cwd: registry });
    const original = path.join(registry, "package");
    const installed = path.join(app, "node_modules/rocketmq-client-nodejs");
    const files = (dir: string) =>
      (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
        .filter((d) => d.isFile())
        .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
        .filter((f) => !f.startsWith("node_modules/")) // its own dependencies, installed by npm
        .sort();
    const list = files(original);
    expect(list.length).toBeGreaterThan(100);
    expect(files(installed)).toEqual(list);
    const differing = list.filter((f) => !readFileSync(path.join(original, f)).equals(readFileSync(path.join(installed, f))));
    expect(differing).toEqual([]);
    expect(list.filter((f) => readFileSync(path.join(installed, f), "utf8").includes("dedup-audit"))).toEqual([]);
  });

  it("a plain .mjs service migrates, applies 500 orders once under 20 % resends, records them by cause and stops cleanly on SIGTERM", async () => {
    const broker = await startBroker(cleanup);
    const topic = "adoption-orders";
    const group = "adoption-service";
    broker.admin.createTopic(topic, 1);

    // Its own home: the client's egg-logger would write under ~/logs/rocketmq/ (and keep the process alive).
    const home = path.join(tmp, "home");
    mkdirSync(home);
    const child = spawn(process.execPath, ["consumer.mjs"], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...userEnv, HOME: home, DATABASE_URL: db.url, ROCKETMQ_ENDPOINTS: broker.endpoint, TOPIC: topic, GROUP: group, LOG_LEVEL: "warn" },
    });
    const said: string[] = [];
    let stderr = "";
    createInterface({ input: child.stdout! }).on("line", (l) => said.push(l));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    cleanup.add(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    const says = (type: string) => said.some((l) => l.includes(`"type":"${type}"`));
    await waitUntil("the service is consuming", () => says("ready") || child.exitCode !== null, 60_000);
    expect(says("ready"), stderr).toBe(true);

    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const sent = await sendOrders(producer, { topic, count: ORDERS, ratePerS: 10_000, resendRatio: 0.2, prefix: "adopt" });
    expect(sent.resends).toBeGreaterThan(50);
    await waitUntil("every copy acked", () => broker.admin.groupStats(group, topic).acked === ORDERS + sent.resends, 90_000);

    child.kill("SIGTERM");
    const exit = await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running 10 s after SIGTERM"), 10_000))]);
    expect(exit, stderr).toEqual({ code: 0, signal: null });
    expect(says("stopped")).toBe(true);
    expect(stderr).not.toMatch(/unhandled|uncaught/i);
    expect(existsSync(path.join(home, "logs"))).toBe(false);

    const [effects] = await rows(db.pool, "SELECT COUNT(*) AS orders, SUM(applied) AS applied, MAX(applied) AS most FROM order_effect");
    expect([Number(effects.orders), Number(effects.applied), Number(effects.most)]).toEqual([ORDERS, ORDERS, 1]);
    const [totals] = await rows(db.pool, "SELECT consumed, commits, dup_producer_resend FROM group_totals WHERE consumer_group = ? AND topic = ?", [group, topic]);
    expect([Number(totals.consumed), Number(totals.commits), Number(totals.dup_producer_resend)]).toEqual([ORDERS + sent.resends, ORDERS, sent.resends]);
    const duplicates = await rows(db.pool, "SELECT cause, COUNT(*) AS n FROM dedup_event WHERE kind = 'duplicate' GROUP BY cause");
    expect(duplicates.map((r) => [r.cause, Number(r.n)])).toEqual([["producer_resend", sent.resends]]);
  }, 180_000);
});
