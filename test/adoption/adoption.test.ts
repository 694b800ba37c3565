/**
 * The package as a team outside this repository adopts it. `npm pack` it; in a temp folder
 * outside the repo `npm init -y` and `npm install --ignore-scripts` the tarball, the official
 * client and mysql2 (its documented peers), then:
 *  - its README links nothing that the tarball lacks;
 *  - its public types compile under strict + nodenext with skipLibCheck off (current TypeScript);
 *  - the bin never guesses a database and says what to fix in one line; its migrations create
 *    only the runtime's tables;
 *  - a plain .mjs consumer (fixtures/consumer.mjs) consumes 500 orders with 20 % producer resends
 *    from a dev broker whose long poll is the client's default 30 s: every effect once, the
 *    resends counted by cause; idle, SIGTERM ends the process with 0 within 3 s; `dedup-audit
 *    status` reports the same counts;
 *  - the repository's examples folder, copied into the service, runs against the package alone.
 * The client it runs on is byte for byte the registry's.
 */
import { execFile, spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendOrders } from "../../workers/demo-producer/orders";
import { Cleanup, sleep, startBroker, startProducer, waitUntil } from "../support/broker-harness";
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
/** The client's own long poll when the server does not shorten it: what a real proxy hands out. */
const REAL_LONG_POLL_S = 30;
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
  await npm(app, ["pkg", "set", "type=module"]);
  await npm(app, ["install", "--ignore-scripts", path.join(tmp, packed.filename), locked("rocketmq-client-nodejs"), locked("mysql2")]);
  // What the team adds for its own TypeScript and for running the examples.
  await npm(app, ["install", "--ignore-scripts", "--save-dev", locked("typescript"), locked("tsx"), locked("zod")]);
  copyFileSync(path.join(import.meta.dirname, "fixtures/consumer.mjs"), path.join(app, "consumer.mjs"));
  db = await createTestDatabase({ migrate: false });
}, 400_000); // pack (builds), installs: about a minute on a quiet machine, minutes on a loaded one

const bin = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const { DATABASE_URL: _ignored, ...shell } = userEnv;
    execFile(path.join(app, "node_modules/.bin/dedup-audit"), args, { cwd: app, env: { ...shell, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

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

  it("its README links no local file the tarball lacks", () => {
    const readme = readFileSync(path.join(app, "node_modules/@dedup-audit/runtime/README.md"), "utf8");
    const local = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^(https?:|#|mailto:)/.test(href));
    const paths = new Set(packed.files.map((f) => f.path));
    expect(local.filter((href) => !paths.has(href.replace(/^\.\//, "").replace(/#.*$/, "")))).toEqual([]);
  });

  it("its public types and its README's TypeScript snippets compile under strict + nodenext with skipLibCheck off, with only the documented peers installed", async () => {
    writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, skipLibCheck: false }, include: ["types-check.ts", "readme-*.ts"] }),
    );
    const readme = readFileSync(path.join(app, "node_modules/@dedup-audit/runtime/README.md"), "utf8");
    const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    snippets.forEach((code, i) => writeFileSync(path.join(app, `readme-${i + 1}.ts`), `export {};\n${code}`));
    writeFileSync(
      path.join(app, "types-check.ts"),
      [
        'import { createDedupConsumer, runWorker, UnrecoverableError, type KeyedDelivery, type TransactionalContext } from "@dedup-audit/runtime";',
        'import { createPool, migrate, type Pool } from "@dedup-audit/runtime/db";',
        'import { Producer, shutdownSafely } from "@dedup-audit/runtime/rocketmq";',
        'import { markDoneIfFence } from "@dedup-audit/runtime/operator";',
        'import type { ResultSetHeader } from "mysql2";',
        "const pool: Pool = createPool(process.env.DATABASE_URL ?? '');",
        "await migrate(pool);",
        "const consumer = createDedupConsumer({ group: 'g', topic: 't', mode: 'transactional', db: pool,",
        "  handler: async (msg: KeyedDelivery, { tx }: TransactionalContext) => {",
        "    const [res] = await tx.query<ResultSetHeader>('UPDATE stock SET qty = qty - 1 WHERE sku = ?', [msg.key]);",
        "    if (res.affectedRows !== 1) throw new UnrecoverableError('out of stock');",
        "  } });",
        "const worker = await runWorker([consumer], { log: console as never });",
        "void [Producer, shutdownSafely, markDoneIfFence, worker.exitCode];",
      ].join("\n"),
    );
    const tsc = await run(process.execPath, [path.join(app, "node_modules/typescript/bin/tsc"), "-p", app], { cwd: app }).catch((e: { stdout: string }) => e);
    expect(tsc.stdout).toBe("");
  });

  it("the bin never guesses a database: no URL or an unreachable one is one line naming the setting, exit 1", async () => {
    const none = await bin(["migrate"]);
    expect(none).toMatchObject({ code: 1 });
    expect(none.stderr).toMatch(/^dedup-audit: no database given: set DATABASE_URL \(or pass --database-url[^\n]*\n$/);
    const refused = await bin(["status", "--database-url", "mysql://root@127.0.0.1:1/nowhere"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^dedup-audit: cannot connect to the database at mysql:\/\/root@127\.0\.0\.1:1\/nowhere: connection refused .*; check DATABASE_URL \/ --database-url\n$/);
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
    const broker = await startBroker(cleanup, { longPollingTimeoutS: REAL_LONG_POLL_S });
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

    // Idle now, its long polls open for up to 30 s: a stop must not wait them out.
    await sleep(2_000);
    child.kill("SIGTERM");
    const exit = await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running 3 s after SIGTERM"), 3_000))]);
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

    const tables = (await rows(db.pool, "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")).map((r) => String(r.t));
    expect(tables).toContain("dedup_claim");
    expect(tables.filter((t) => /^(app_user|session|api_token|webhook_|alert_)/.test(t))).toEqual([]);

    const status = await bin(["status", "--group", group, "--json", "--database-url", db.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([
      expect.objectContaining({ group, topic, consumed: ORDERS + sent.resends, commits: ORDERS, duplicates: { producer_resend: sent.resends, rebalance_replay: 0, redelivery: 0, unknown: 0 }, stuckClaims: 0, liveWorkers: 0 }),
    ]);
  }, 180_000);

  it("the repository's examples, copied into the service, run on the package alone", async () => {
    cpSync(path.join(ROOT, "workers/examples"), path.join(app, "examples"), { recursive: true });
    const broker = await startBroker(cleanup, { longPollingTimeoutS: REAL_LONG_POLL_S });
    const topic = "example-orders";
    broker.admin.createTopic(topic, 1);
    const child = spawn(process.execPath, ["--import", "tsx", "examples/stock-deduction/main.ts"], {
      cwd: app,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...userEnv, HOME: path.join(tmp, "home"), DATABASE_URL: db.url, ROCKETMQ_ENDPOINTS: broker.endpoint, DEMO_TOPIC: topic, DEMO_GROUP: "example-stock", LOG_LEVEL: "info" },
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    cleanup.add(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    await waitUntil("the example is running", () => stderr.includes("stock-deduction worker running") || child.exitCode !== null, 60_000);
    expect(stderr).toContain("stock-deduction worker running");
    const producer = await startProducer(cleanup, broker.endpoint, [topic]);
    const sent = await sendOrders(producer, { topic, count: 50, ratePerS: 1_000, resendRatio: 0.2, prefix: "example" });
    await waitUntil("every copy acked", () => broker.admin.groupStats("example-stock", topic).acked === 50 + sent.resends, 60_000);
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);
    const [totals] = await rows(db.pool, "SELECT commits, dup_producer_resend FROM group_totals WHERE consumer_group = 'example-stock'");
    expect([Number(totals.commits), Number(totals.dup_producer_resend)]).toEqual([50, sent.resends]);
    const [ledger] = await rows(db.pool, "SELECT COUNT(*) AS n, COUNT(DISTINCT order_key) AS orders FROM demo_stock_ledger WHERE consumer_group = 'example-stock'");
    expect([Number(ledger.n), Number(ledger.orders)]).toEqual([50, 50]);
  }, 120_000);
});
