/**
 * The shared setup of the fault tests: stock-deduction worker processes of one group against an
 * in-process dev broker, orders sent on a schedule, and "the broker has settled" — every message
 * acked, nothing in flight, visible or undelivered.
 */
import type { DevBroker } from "../../workers/dev-broker";
import { waitUntil, type Cleanup } from "../support/broker-harness";
import { createFleet, type Fleet } from "../chaos/fleet";

export function stockFleet(cleanup: Cleanup, o: { databaseUrl: string; broker: DevBroker; topic: string; group: string; env?: Record<string, string> }): Fleet {
  return createFleet(cleanup, {
    name: o.group,
    script: "workers/examples/stock-deduction/main.ts",
    env: {
      DATABASE_URL: o.databaseUrl,
      ROCKETMQ_ENDPOINTS: o.broker.endpoint,
      DEMO_TOPIC: o.topic,
      DEMO_GROUP: o.group,
      HEARTBEAT_S: "0.5",
      WORKER_TIMEOUT_S: "5",
      FLUSH_INTERVAL_S: "1",
      RETENTION_INTERVAL_S: "0",
      REDIS_FAST_PATH: "false",
      ...o.env,
    },
  });
}

/** Every one of `messages` acked once, and nothing left in flight, ready or undelivered. */
export async function waitSettled(broker: DevBroker, group: string, topic: string, messages: number, timeoutMs: number): Promise<void> {
  await waitUntil(
    `${group}: all ${messages} messages acked`,
    () => {
      const s = broker.admin.groupStats(group, topic);
      return s.acked >= messages && s.inflight === 0 && s.ready === 0 && s.backlog === 0;
    },
    timeoutMs,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; broker: ${JSON.stringify(broker.admin.groupStats(group, topic))}`);
  });
}
