/**
 * createDedupConsumer(): a RocketMQ push consumer whose handler runs once per dedup key.
 *
 * Wraps the real rocketmq-client-nodejs PushConsumer. The listener answers SUCCESS (ack) only
 * when the effect is committed or already recorded as done, and FAILURE only after a handler
 * error released the claim (or on stop / deferral, so the broker redelivers later). A copy of a
 * key that is in flight elsewhere waits inside the listener — the broker keeps it invisible
 * meanwhile — instead of being bounced with a near-zero nack delay.
 */
import { ConsumeResult, type MessageView, type SessionCredentials } from "rocketmq-client-nodejs";
import { settings } from "../settings.js";
import type { Pool } from "../db/pool.js";
import { createDedupProcessor, type DedupProcessor, type DedupProcessorOptions } from "../worker/processor.js";
import type { Delivery, Verdict } from "../types.js";
import { defaultLogger, type Logger } from "../logger.js";
import { clientLogger } from "../rocketmq/logger.js";
import { rocketmqClientOptions } from "../rocketmq/endpoints.js";
import { shutdownSafely } from "../rocketmq/shutdown.js";
import { ObservedPushConsumer } from "./observed-push-consumer.js";
import { dedupConsumer, type DedupConsumer } from "./lifecycle.js";

type ProcessorOptions = DedupProcessorOptions extends infer O ? (O extends unknown ? Omit<O, "pool" | "assignedQueues" | "clientId"> : never) : never;

/** Options both consumers (push and simple) take besides the processor's. */
export type ConsumerOptions = ProcessorOptions & {
  /** Tag filter expression for the subscription ('*' = all tags). */
  tag?: string;
  /** RocketMQ proxy endpoints ("host:port;host:port"); default ROCKETMQ_ENDPOINTS or the dev broker. */
  endpoints?: string;
  namespace?: string;
  sessionCredentials?: SessionCredentials;
  /** mysql2 pool to use (not closed on stop); default: one from databaseUrl / DATABASE_URL. */
  db?: Pool;
  /** Messages held at once; default DEDUP_MAX_INFLIGHT. */
  maxInflight?: number;
  requestTimeoutMs?: number;
  /** How long stop() waits for in-flight messages to settle. */
  shutdownTimeoutMs?: number;
};

export type DedupConsumerOptions = ConsumerOptions;

export type { DedupConsumer };

/** The broker-independent view of a delivery that the dedup state machine works on. */
export function toDelivery(view: MessageView, queue: string): Delivery {
  return {
    msgId: view.messageId,
    topic: view.topic,
    tag: view.tag ?? "",
    keys: view.keys,
    body: view.body,
    deliveryAttempt: view.deliveryAttempt ?? 1,
    queue,
    properties: view.properties,
  };
}

/**
 * A delivery not acked on the last attempt the group allows is dead-lettered by the broker
 * (%DLQ%group): record it (alerts watch DLQ growth).
 */
export async function noteIfDeadLettered(processor: DedupProcessor, delivery: Delivery, verdict: Verdict, maxAttempts: number | undefined): Promise<void> {
  if (!verdict.ack && maxAttempts !== undefined && delivery.deliveryAttempt >= maxAttempts) await processor.noteDeadLetter(delivery, verdict);
}

/** One delivery through the dedup processor, its dead-lettering recorded. */
export async function processView(processor: DedupProcessor, view: MessageView, queue: string, maxAttempts: number | undefined, log: Logger): Promise<Verdict> {
  const started = performance.now();
  const delivery = toDelivery(view, queue);
  const verdict = await processor.process(delivery);
  await noteIfDeadLettered(processor, delivery, verdict, maxAttempts);
  if (log.isLevelEnabled("debug")) {
    const ms = performance.now() - started;
    log.debug(
      { msgId: view.messageId, key: view.keys[0] ?? null, attempt: delivery.deliveryAttempt, outcome: verdict.outcome, ms: +ms.toFixed(2) },
      `${verdict.outcome} (attempt ${delivery.deliveryAttempt}, ${ms.toFixed(1)} ms)`,
    );
  }
  return verdict;
}

/** Endpoints, namespace, credentials, logger and subscription of either client. */
export function clientOptions(opts: ConsumerOptions) {
  const conn = rocketmqClientOptions(settings());
  return {
    endpoints: opts.endpoints ?? conn.endpoints,
    namespace: opts.namespace ?? conn.namespace,
    sessionCredentials: opts.sessionCredentials ?? conn.sessionCredentials,
    requestTimeout: opts.requestTimeoutMs,
    logger: clientLogger((opts.log ?? defaultLogger()).child({ group: opts.group })),
    consumerGroup: opts.group,
    subscriptions: new Map([[opts.topic, opts.tag ?? "*"]]),
  };
}

/** The processor of a consumer: the caller's options plus what only the client knows. */
export function consumerProcessor(opts: ConsumerOptions, client: { clientId: string; assignedQueues(): string[] }): DedupProcessor {
  return createDedupProcessor({
    ...(opts as DedupProcessorOptions),
    pool: opts.db,
    clientId: client.clientId,
    assignedQueues: () => client.assignedQueues(),
    log: opts.log,
  } as DedupProcessorOptions);
}

export function createDedupConsumer(opts: DedupConsumerOptions): DedupConsumer {
  const cfg = settings();
  const log: Logger = (opts.log ?? defaultLogger()).child({ component: "dedup-consumer", group: opts.group });
  let processor!: DedupProcessor;

  const consumer = new ObservedPushConsumer({
    ...clientOptions(opts),
    maxCacheMessageCount: opts.maxInflight ?? cfg.DEDUP_MAX_INFLIGHT,
    onAckRefused: (msgIds) => void processor.noteAckRefused(msgIds),
    messageListener: {
      async consume(view: MessageView): Promise<ConsumeResult> {
        const verdict = await processView(processor, view, consumer.queueOf(view), consumer.getRetryPolicy()?.getMaxAttempts(), log);
        return verdict.ack ? ConsumeResult.SUCCESS : ConsumeResult.FAILURE;
      },
    },
  });

  processor = consumerProcessor(opts, consumer);

  // Both at once: the client stops fetching and waits for our listener to settle every cached
  // message; the processor refuses new work, lets running handlers finish and ends waiting copies
  // (they go back to the broker), then flushes and deregisters.
  return dedupConsumer({
    processor,
    client: consumer,
    name: "dedup consumer",
    topic: opts.topic,
    log,
    shutdown: async () => {
      const [client] = await Promise.all([
        shutdownSafely(consumer, { timeoutMs: opts.shutdownTimeoutMs ?? 30_000, logger: log, name: "push consumer" }),
        processor.stop({ graceMs: opts.shutdownTimeoutMs ?? 30_000 }).catch((err) => log.error({ err }, "dedup processor stop failed")),
      ]);
      if (!client.ok) log.warn({ reason: client.reason }, "push consumer did not shut down cleanly; unacked messages will be redelivered");
    },
  });
}

