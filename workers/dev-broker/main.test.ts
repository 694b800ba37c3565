/** `npm run dev-broker`: starts, prints its endpoint, serves the real client, stops on SIGTERM with exit 0; a bad setting stops it at start. */
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { expect, it } from "vitest";
import { shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { startProducer } from "./fixtures/clients";

it("runs standalone with fault flags and exits 0 on SIGTERM", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "main.ts"), "--port", "0", "--drop-acks", "0.05", "--v4"], {
    cwd: path.resolve(import.meta.dirname, "../.."), // inherits LOG_LEVEL=silent from vitest
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const lines = createInterface({ input: child.stdout });
    const endpoint = await new Promise<string>((resolve, reject) => {
      lines.on("line", (l) => {
        const m = /listening on (\S+)/.exec(l);
        if (m) resolve(m[1]);
      });
      setTimeout(() => reject(new Error("no endpoint printed")), 20_000);
    });
    const producer = await startProducer(endpoint, ["cli-topic"]);
    expect((await producer.send({ topic: "cli-topic", body: Buffer.from("hi") })).messageId).toMatch(/^[0-9A-F]+$/);
    expect(await shutdownSafely(producer, { timeoutMs: 10_000 })).toMatchObject({ ok: true });
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  } finally {
    child.kill("SIGKILL");
  }
});

it("refuses a bad DEV_BROKER_PORT at start, naming the variable, and exits 1", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "main.ts")], {
    cwd: path.resolve(import.meta.dirname, "../.."),
    env: { ...process.env, DEV_BROKER_PORT: "eighty" },
  });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  expect(code).toBe(1);
  expect(stderr).toContain("DEV_BROKER_PORT");
});
