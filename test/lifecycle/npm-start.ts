/**
 * `npm start` as a user runs it, for the stop-path tests: on a fresh database and free ports, in
 * its own process group, with a unique marker in its environment. Every process it starts
 * inherits the marker, so ourProcesses() finds exactly ours in /proc, whoever their parent is now.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { freePort } from "../support/free-port";
import { createTestDatabase, type TestDatabase } from "../support/db";

const MARKER = "DEDUP_AUDIT_STOP_TEST";

export interface NpmStart {
  npm: ChildProcess;
  marker: string;
  ports: number[];
  db: TestDatabase;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function npmStart(opts: { logLevel?: string } = {}): Promise<NpmStart> {
  const db = await createTestDatabase({ migrate: false });
  const [port, brokerPort] = [await freePort(), await freePort()];
  const marker = randomBytes(8).toString("hex");
  const env: NodeJS.ProcessEnv = { ...process.env, VITEST: "", VITEST_WORKER_ID: "", VITEST_POOL_ID: "" };
  Object.assign(env, { PORT: String(port), DEV_BROKER_PORT: String(brokerPort), DATABASE_URL: db.url, LOG_LEVEL: opts.logLevel ?? "warn", [MARKER]: marker });
  const npm = spawn("npm", ["start"], { detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  npm.stdout!.on("data", (d) => (output += d));
  npm.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.once("exit", (code, signal) => resolve({ code, signal })));
  const started: NpmStart = { npm, marker, ports: [port, brokerPort], db, output: () => output, exited };
  await waitFor(() => output.includes("dedup-audit is running") || npm.exitCode !== null, 120_000);
  if (!output.includes("dedup-audit is running")) throw new Error(`npm start did not come up:\n${output}`);
  return started;
}

/** Pids of live processes carrying our marker (zombies excluded: they hold nothing). */
export function ourProcesses(marker: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(`${MARKER}=${marker}`)) continue;
      if (/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${entry}/stat`, "latin1"))) continue;
      found.push({ pid: Number(entry), cmd: readFileSync(`/proc/${entry}/cmdline`, "latin1").replaceAll("\0", " ").trim() });
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return found;
}

export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** After a test, pass or fail: nothing of ours survives it, and its database goes. */
export async function cleanUp(started: NpmStart | undefined): Promise<void> {
  if (!started) return;
  for (const { pid } of ourProcesses(started.marker)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  await started.db.drop();
}
