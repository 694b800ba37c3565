/**
 * Reads a consumer group's dead-letter topic (%DLQ%<group>) through the real client, as a
 * SimpleConsumer of the dashboard's own reader group, and keeps what it received *invisible*:
 * a dead letter stays in the DLQ — held by the reader, renewed before its invisible time runs
 * out — until a re-drive has re-published it and acks it here. Holding (rather than receiving
 * and letting go on every page view) matters: each time a held copy returns to the DLQ the
 * broker counts a delivery attempt against the reader group, and enough of them would move it
 * on to the reader group's own DLQ.
 *
 * One reader per group per dashboard process; a restarted dashboard gets the held copies back
 * once their invisible time (HOLD_MS) has passed.
 */
import type { MessageView } from "rocketmq-client-nodejs";
import { clientLogger, shutdownSafely, SimpleConsumer } from "@dedup-audit/runtime/rocketmq";
import { log } from "../log";
import type { BrokerConnection } from "./connection";

/** How long a received dead letter stays invisible; renewed when less than half of it is left. */
export const HOLD_MS = 10 * 60_000;
const RECEIVE_BATCH = 32;

export interface HeldDeadLetter {
  view: MessageView;
  heldUntil: number;
}

export class DlqReader {
  readonly topic: string;
  #consumer?: SimpleConsumer;
  #starting?: Promise<SimpleConsumer>;
  #refreshing?: Promise<void>;
  readonly held = new Map<string, HeldDeadLetter>();
  /** msgIds a re-drive is sending now (redrive.ts). */
  readonly redriving = new Set<string>();

  constructor(
    readonly group: string,
    private readonly conn: BrokerConnection,
  ) {
    this.topic = `%DLQ%${group}`;
  }

  #start(): Promise<SimpleConsumer> {
    this.#starting ??= (async () => {
      const consumer = new SimpleConsumer({
        endpoints: this.conn.endpoints,
        namespace: this.conn.namespace,
        sessionCredentials: this.conn.sessionCredentials,
        requestTimeout: this.conn.requestTimeoutMs,
        logger: clientLogger(log.child({ component: "dlq-reader", group: this.group })),
        consumerGroup: this.conn.readerGroup,
        subscriptions: new Map([[this.topic, "*"]]),
        awaitDuration: this.conn.awaitMs,
      });
      await consumer.startup();
      this.#consumer = consumer;
      return consumer;
    })().catch((err) => {
      this.#starting = undefined; // try again on the next refresh
      throw err;
    });
    return this.#starting;
  }

  /** Receive what is new in the DLQ and renew what is held; one refresh at a time. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const consumer = await this.#start();
    await this.#renew(consumer);
    for (;;) {
      const views = await consumer.receive(RECEIVE_BATCH, HOLD_MS);
      const now = Date.now();
      for (const v of views) this.held.set(v.messageId, { view: v, heldUntil: now + HOLD_MS });
      if (views.length < RECEIVE_BATCH) return;
    }
  }

  async #renew(consumer: SimpleConsumer): Promise<void> {
    const now = Date.now();
    for (const [msgId, h] of this.held) {
      if (h.heldUntil - now > HOLD_MS / 2) continue;
      try {
        await consumer.changeInvisibleDuration(h.view, HOLD_MS);
        h.heldUntil = Date.now() + HOLD_MS;
      } catch (err) {
        // Its handle expired: the copy is visible in the DLQ again and the next receive brings it back.
        log.warn({ err, msgId, group: this.group }, "could not keep a dead letter held; it will be received again");
        this.held.delete(msgId);
      }
    }
  }

  /** Remove a dead letter from the DLQ (after its re-publish succeeded). Throws if the broker refuses. */
  async remove(msgId: string): Promise<void> {
    const h = this.held.get(msgId);
    if (!h || !this.#consumer) throw new Error("the dead letter is not held by this reader");
    await this.#consumer.ack(h.view);
    this.held.delete(msgId);
  }

  async close(): Promise<void> {
    const consumer = this.#consumer ?? (await this.#starting?.catch(() => undefined));
    if (consumer) await shutdownSafely(consumer, { timeoutMs: 5_000 });
  }
}
