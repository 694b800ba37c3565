/** clientLogger, endpoints and shutdownSafely. */
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/config";
import { rocketmqClientOptions, rocketmqEndpoints, usesDevBroker } from "../src/rocketmq/endpoints";
import { clientLogger } from "../src/rocketmq/logger";
import { shutdownSafely } from "../src/rocketmq/shutdown";

function capture(level = "trace") {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

describe("clientLogger", () => {
  it("formats the client's printf-style calls and maps its chatty info to debug", () => {
    const { lines, logger } = capture();
    const log = clientLogger(logger);
    log.info("Startup ok, clientId=%s, topics=%d", "c1", 2);
    log.warn("settings=%j", { a: 1 });
    log.error(new Error("boom"));
    log.debug("fine detail");
    expect(lines.map((l) => [l.level, l.msg, l.component])).toEqual([
      [20, "Startup ok, clientId=c1, topics=2", "rocketmq-client"],
      [40, 'settings={"a":1}', "rocketmq-client"],
      [50, "boom", "rocketmq-client"],
      [10, "fine detail", "rocketmq-client"],
    ]);
    expect((lines[2].err as { message: string }).message).toBe("boom");
  });

  it("skips formatting below the level and never offers close()", () => {
    const { lines, logger } = capture("warn");
    const log = clientLogger(logger, { infoAs: "info" });
    log.info("dropped %s", "x");
    log.warn("kept");
    expect(lines.map((l) => l.msg)).toEqual(["kept"]);
    expect("close" in log).toBe(false);
  });
});

describe("endpoints", () => {
  it("uses ROCKETMQ_ENDPOINTS (';'-joined for the client) or the dev broker port", () => {
    const prod = parseConfig({ ROCKETMQ_ENDPOINTS: "mq1:8081, mq2:8081", ROCKETMQ_NAMESPACE: "ns", ROCKETMQ_ACCESS_KEY: "ak", ROCKETMQ_SECRET_KEY: "sk" });
    expect(rocketmqEndpoints(prod)).toBe("mq1:8081;mq2:8081");
    expect(usesDevBroker(prod)).toBe(false);
    expect(rocketmqClientOptions(prod)).toEqual({ endpoints: "mq1:8081;mq2:8081", namespace: "ns", sessionCredentials: { accessKey: "ak", accessSecret: "sk" } });
    const dev = parseConfig({ DEV_BROKER_PORT: "9876" });
    expect(rocketmqEndpoints(dev)).toBe("127.0.0.1:9876");
    expect(usesDevBroker(dev)).toBe(true);
    expect(rocketmqClientOptions(dev)).toEqual({ endpoints: "127.0.0.1:9876", namespace: "" });
  });
});

describe("shutdownSafely", () => {
  it("never rejects: reports errors and timeouts, and a second call returns the first result", async () => {
    const failing = { shutdown: () => Promise.reject(new Error("log stream had been closed")) };
    expect(await shutdownSafely(failing)).toMatchObject({ ok: false, reason: "error" });
    const hanging = { shutdown: () => new Promise<void>(() => {}) };
    const first = shutdownSafely(hanging, { timeoutMs: 50 });
    expect(shutdownSafely(hanging)).toBe(first);
    expect(await first).toMatchObject({ ok: false, reason: "timeout" });
    let calls = 0;
    const fine = { shutdown: async () => void calls++ };
    expect(await shutdownSafely(fine)).toMatchObject({ ok: true });
    await shutdownSafely(fine);
    expect(calls).toBe(1);
  });
});
