/**
 * A producer and a push consumer in a child process: their own shutdown() completes and the
 * process then exits 0 by itself — also when the broker went away first (it ended the telemetry
 * streams, so 1.0.8 would reconnect every second forever, and NotifyClientTermination fails).
 * Relies on the runtime's client subclasses (workers/runtime/src/rocketmq/client-guards.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "./fixtures/clients";
import { spawnFixture, type FixtureProcess } from "./fixtures/spawn";
import { startDevBroker, type DevBroker } from "./index";

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
  cleanup = [];
});

async function runChild(broker: DevBroker, name: string): Promise<FixtureProcess> {
  const child = spawnFixture("shutdown-child", [broker.endpoint, `${name}-g`, name]);
  cleanup.push(async () => child.child.kill("SIGKILL"));
  await child.waitFor((r) => r.type === "ready", 30_000);
  return child;
}

describe("client shutdown", () => {
  it("producer and push consumer shut down and the process exits 0 on its own", async () => {
    const broker = await startDevBroker({ port: 0, longPollingTimeoutS: 2 });
    cleanup.push(() => broker.close());
    const child = await runChild(broker, "shutdown-normal");
    const clientsBefore = broker.admin.clients().length;
    expect(clientsBefore).toBe(2);

    child.child.stdin!.write("shutdown\n");
    const exit = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r("still running"), 15_000))]);
    expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
    expect(child.reports.map((r) => r.type)).toEqual(["ready", "producer-down", "done"]);
    expect(broker.admin.clients()).toEqual([]); // both said goodbye (NotifyClientTermination)
    expect(broker.admin.events("clientGone").map((e) => e.reason)).toEqual(["terminated", "terminated"]);
  });

  it("still exits 0 when the broker went away before the clients shut down", async () => {
    const broker = await startDevBroker({ port: 0, longPollingTimeoutS: 2 });
    cleanup.push(() => broker.close());
    const child = await runChild(broker, "shutdown-orphan");
    // Its one message is acked (an unacked one would be retried for ever — see workers/runtime/src/rocketmq/shutdown.ts).
    await waitUntil("acked", () => broker.admin.groupStats("shutdown-orphan-g", "shutdown-orphan").acked === 1);
    await broker.close(); // ends every telemetry stream from the server side
    await new Promise((r) => setTimeout(r, 1500)); // the clients notice and start reconnecting

    child.child.stdin!.write("shutdown\n");
    const exit = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r("still running"), 20_000))]);
    expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
    expect(child.reports.map((r) => r.type)).toEqual(["ready", "producer-down", "done"]);
  });
});
