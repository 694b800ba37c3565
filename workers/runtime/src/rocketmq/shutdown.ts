/**
 * shutdownSafely(): stop a Producer / SimpleConsumer / PushConsumer without letting the client's
 * shutdown take the process down or hang it.
 *
 * The clients of ./clients.ts already shut down completely (client-guards.ts: no uncaught
 * telemetry error, no reconnect after shutdown, NotifyClientTermination failures survived, no
 * egg-logger timer). What is left:
 *  - a PushConsumer waits for its open long poll (up to the long-polling timeout, 20–30 s), then
 *    for every cached message to be settled — and retries failed acks every second without end
 *    while the broker is unreachable. That is the one thing a workaround should not change (it is how
 *    in-flight work finishes), so this wrapper bounds it: after `timeoutMs` it gives up waiting,
 *    returns `{ ok: false, reason: "timeout" }` and the caller decides (a worker exits; what was
 *    not acked comes back from the broker with attempt + 1).
 * Never rejects; idempotent per client (a second call returns the first call's promise).
 */
import type { Logger } from "../logger.js";
import { expectConnectionLoss } from "./logger.js";

export interface ShutdownTarget {
  shutdown(): Promise<void>;
}

export type ShutdownResult = { ok: true; ms: number } | { ok: false; ms: number; reason: "timeout" | "error"; error?: unknown };

const inProgress = new WeakMap<ShutdownTarget, Promise<ShutdownResult>>();

export function shutdownSafely(client: ShutdownTarget, opts: { timeoutMs?: number; logger?: Logger; name?: string } = {}): Promise<ShutdownResult> {
  const existing = inProgress.get(client);
  if (existing) return existing;
  expectConnectionLoss();
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const name = opts.name ?? client.constructor?.name ?? "rocketmq client";
  const result = new Promise<ShutdownResult>((resolve) => {
    const timer = setTimeout(() => {
      opts.logger?.warn({ client: name, timeoutMs }, "rocketmq client shutdown timed out");
      resolve({ ok: false, ms: Date.now() - started, reason: "timeout" });
    }, timeoutMs);
    timer.unref();
    Promise.resolve()
      .then(() => client.shutdown())
      .then(
        () => {
          clearTimeout(timer);
          opts.logger?.info({ client: name, ms: Date.now() - started }, "rocketmq client shut down");
          resolve({ ok: true, ms: Date.now() - started });
        },
        (error: unknown) => {
          clearTimeout(timer);
          opts.logger?.error({ client: name, err: error }, "rocketmq client shutdown failed");
          resolve({ ok: false, ms: Date.now() - started, reason: "error", error });
        },
      );
  });
  inProgress.set(client, result);
  return result;
}
