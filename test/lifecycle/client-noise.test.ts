/**
 * The rocketmq client's connection errors while we stop our own clients are expected (the broker
 * may be stopping too) and go to debug; before that, and for anything else, warnings stay warnings.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { expect, it } from "vitest";
import { clientLogger, shutdownSafely } from "@dedup-audit/runtime/rocketmq";

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: "warn" }, sink), lines };
}

it("demotes connection-loss warnings once a client is being shut down, keeps other warnings", async () => {
  const { logger, lines } = capturingLogger();
  const client = clientLogger(logger);
  const refused = Object.assign(new Error("14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:8081"), { code: 14 });

  client.warn("Failed to change invisible duration, messageId=%s", "m1", refused);
  expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining("Failed to change invisible duration")]);

  await shutdownSafely({ shutdown: async () => {} });
  client.warn("Failed to change invisible duration, messageId=%s", "m2", refused);
  client.error("[Bug] unexpected reply, messageId=%s", "m3");
  expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining("m1"), expect.stringContaining("[Bug] unexpected reply")]);
});
