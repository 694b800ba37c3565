/**
 * A real Prometheus (Debian's `prometheus` package, installed by .ci/run) for tests: started on a
 * free loopback port with a configuration built from deploy/prometheus/scrape.yml — the scrape job
 * as shipped, pointed at a local target, with its token in a file and the shipped alert rules
 * loaded — then queried over its HTTP API. Its data lives in a temporary folder removed at stop.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { freePort } from "./free-port";

export const PROMETHEUS = "/usr/bin/prometheus";
export const PROMTOOL = "/usr/bin/promtool";
export const deployDir = path.resolve(import.meta.dirname, "../../deploy/prometheus");

/** Runs promtool; its output, or an error carrying that output when it exits non-zero. */
export function promtool(args: string[], cwd = deployDir): string {
  try {
    return execFileSync(PROMTOOL, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

export interface ScrapeTarget {
  /** host:port of the server serving the metrics path. */
  address: string;
  token: string;
}

export interface RunningPrometheus {
  url: string;
  /** The path of the configuration it runs with (what `promtool check config` checked). */
  configFile: string;
  /** An instant query; the result vector (empty when the expression matched nothing). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

const vectorAnswer = z.object({
  status: z.literal("success"),
  data: z.object({ resultType: z.string(), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })) }),
});

/**
 * deploy/prometheus/scrape.yml's job, re-aimed at `target` and scraped every 3 s (each scrape
 * queries the database; on a loaded machine 1 s is not always enough), plus the shipped rules.
 */
export function configFor(target: ScrapeTarget, dir: string): string {
  const shipped = parse(readFileSync(path.join(deployDir, "scrape.yml"), "utf8")) as { scrape_configs: Record<string, unknown>[] };
  const tokenFile = path.join(dir, "dedup-audit.token");
  writeFileSync(tokenFile, target.token, { mode: 0o600 });
  const job = shipped.scrape_configs[0] as { authorization: Record<string, unknown> } & Record<string, unknown>;
  const config = {
    global: { scrape_interval: "3s", evaluation_interval: "3s" },
    rule_files: [path.join(deployDir, "alerts.yml")],
    scrape_configs: [
      {
        ...job,
        scheme: "http",
        scrape_interval: "3s",
        scrape_timeout: "3s",
        authorization: { ...job.authorization, credentials_file: tokenFile },
        static_configs: [{ targets: [target.address] }],
      },
    ],
  };
  const file = path.join(dir, "prometheus.yml");
  writeFileSync(file, stringify(config));
  return file;
}

export async function startPrometheus(target: ScrapeTarget): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), "prometheus-"));
  const configFile = configFor(target, dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, () => `prometheus not ready:\n${log}`);
  } catch (err) {
    await stop();
    throw err;
  }
  const query = async (expr: string) => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body: unknown = await res.json();
    if (!res.ok) throw new Error(`query ${expr} → ${res.status} ${JSON.stringify(body)}`);
    return vectorAnswer.parse(body).data.result;
  };
  return { url, configFile, query, stop };
}

/** Polls `ready` every 250 ms until it holds; throws `why()` after `ms`. */
export async function waitUntil(ready: () => Promise<boolean>, ms: number, why: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(why());
}
