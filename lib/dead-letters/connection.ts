/**
 * The dashboard's link to RocketMQ for dead letters: endpoints and credentials (the same
 * variables as the workers: ROCKETMQ_ENDPOINTS, else the dev broker on DEV_BROKER_PORT), the
 * reader group that holds DLQ messages, one DLQ reader per consumer group and one producer for
 * re-drives. Tests pass their own connection with `useBrokerConnection`.
 */
import { clientLogger, Producer, rocketmqClientOptions, shutdownSafely } from "@dedup-audit/runtime/rocketmq";
import { runtimeSettings } from "@dedup-audit/runtime";
import { log } from "../log";
import { DlqReader } from "./dlq-reader";

export interface BrokerConnection {
  endpoints: string;
  namespace: string;
  sessionCredentials?: { accessKey: string; accessSecret: string };
  /** The consumer group the dashboard reads every %DLQ% topic as. */
  readerGroup: string;
  /** Long-polling time of a DLQ receive that finds nothing new. */
  awaitMs: number;
  requestTimeoutMs: number;
}

export const READER_GROUP = "dedup-audit-dlq-reader";

function fromEnvironment(): BrokerConnection {
  return { ...rocketmqClientOptions(runtimeSettings()), readerGroup: READER_GROUP, awaitMs: 1_000, requestTimeoutMs: 3_000 };
}

interface Clients {
  conn: BrokerConnection;
  readers: Map<string, DlqReader>;
  producer?: Promise<Producer>;
}

// Kept on globalThis: Next.js may load this module more than once per process (route bundles),
// and two readers of one DLQ in one process would each hold half of it.
const slot = globalThis as typeof globalThis & { __deadLetterClients?: Clients };

function clients(): Clients {
  slot.__deadLetterClients ??= { conn: fromEnvironment(), readers: new Map() };
  return slot.__deadLetterClients;
}

export function readerOf(group: string): DlqReader {
  const c = clients();
  let r = c.readers.get(group);
  if (!r) {
    r = new DlqReader(group, c.conn);
    c.readers.set(group, r);
  }
  return r;
}

export function producer(): Promise<Producer> {
  const c = clients();
  c.producer ??= (async () => {
    const p = new Producer({
      endpoints: c.conn.endpoints,
      namespace: c.conn.namespace,
      sessionCredentials: c.conn.sessionCredentials,
      requestTimeout: c.conn.requestTimeoutMs,
      logger: clientLogger(log.child({ component: "redrive-producer" })),
    });
    await p.startup();
    return p;
  })().catch((err) => {
    c.producer = undefined;
    throw err;
  });
  return c.producer;
}

/** Close every client (tests; a dashboard stops with its process). */
export async function closeBrokerClients(): Promise<void> {
  const c = slot.__deadLetterClients;
  if (!c) return;
  slot.__deadLetterClients = undefined;
  await Promise.all([...c.readers.values()].map((r) => r.close()));
  const p = await c.producer?.catch(() => undefined);
  if (p) await shutdownSafely(p, { timeoutMs: 5_000 });
}

/** Tests: use this broker connection from now on (closing the clients of the previous one). */
export async function useBrokerConnection(conn: Partial<BrokerConnection> & { endpoints: string }): Promise<void> {
  await closeBrokerClients();
  slot.__deadLetterClients = { conn: { ...fromEnvironment(), ...conn }, readers: new Map() };
}
