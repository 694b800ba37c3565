/**
 * `npm start` as a newcomer runs it: migrate a database that does not exist yet, start the dev
 * broker, demo workers, producer, alert process and the built dashboard, print the URL and the
 * admin login — then Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops
 * everything and the supervisor exits 0 on its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import mysql from "mysql2/promise";
import { expect, test } from "@playwright/test";

const serverUrl = (process.env.E2E_DATABASE_SERVER_URL ?? "mysql://root@127.0.0.1:3306").replace(/\/$/, "");
const database = `dedup_e2e_start_${randomBytes(4).toString("hex")}`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

let start: ChildProcess | undefined;

test.afterAll(async () => {
  if (start?.pid && start.exitCode === null) process.kill(-start.pid, "SIGKILL");
  const c = await mysql.createConnection(serverUrl);
  await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await c.end();
});

test("npm start serves the dashboard with a login, /api/health is ok, Ctrl-C exits 0", async ({ page }) => {
  test.setTimeout(150_000);
  const [port, brokerPort] = [await freePort(), await freePort()];
  start = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORT: String(port), DEV_BROKER_PORT: String(brokerPort), DATABASE_URL: `${serverUrl}/${database}`, LOG_LEVEL: "error" },
  });
  let output = "";
  start.stdout!.on("data", (d) => (output += d));
  start.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => start!.once("exit", (code) => resolve(code)));

  await expect.poll(() => output, { timeout: 90_000 }).toContain("dedup-audit is running");
  const password = output.match(/password: (\S+)/)?.[1];
  expect(output).toMatch(/login: admin@localhost/);
  expect(password, output).toBeTruthy();
  // Without HOST it listens on loopback only, and says so next to the one-time password.
  expect(output).toMatch(new RegExp(`listening on 127\\.0\\.0\\.1:${port} \\(this machine only`));

  const health = await page.request.get(`http://127.0.0.1:${port}/api/health`);
  expect(health.status()).toBe(200);
  expect(await health.json()).toMatchObject({ db: "ok", broker: "ok" });

  // The printed login works.
  await page.goto(`http://127.0.0.1:${port}/login`);
  await page.getByLabel(/email/i).fill("admin@localhost");
  await page.getByLabel(/password/i).fill(password!);
  await page.getByRole("button", { name: /sign in|log in/i }).click();
  await expect(page.getByRole("heading", { name: "Consumer groups" })).toBeVisible();

  process.kill(-start.pid!, "SIGINT");
  expect(await exited).toBe(0);
  expect(output).toContain("[start] stopped");
});
