/**
 * createDedupSimpleConsumer(): the dedup runtime on a RocketMQ SimpleConsumer, for consumers that
 * pull at their own pace (receive → process → ack) instead of running a push listener.
 *
 * A SimpleConsumer has no auto-renew: a received message stays invisible only for the duration
 * asked for. So while a message is being handled — or waits for another copy of its key that is
 * in flight elsewhere — its invisible time is renewed every third of it, and the
 * message cannot come back to another worker mid-run. The outcome is answered with the latest
 * receipt handle (each renewal issues a new one):
 *  - ack: effect committed, or the key is already DONE (a duplicate hit);
 *  - not acked: ChangeInvisibleDuration with a real delay, growing with the delivery attempt —
 *    here the client's nack takes milliseconds as milliseconds, so unlike the push consumer's
 *    retry there is no unit to fix. After the group's last attempt the broker dead-letters it.
 */
import type { MessageView } from "rocketmq-client-nodejs";
import { SimpleConsumer } from "../rocketmq/clients.js";
import { settings } from "../settings.js";
import type { DedupProcessor } from "../worker/processor.js";
import type { Verdict } from "../types.js";
import { defaultLogger, type Logger } from "../logger.js";
import { repeatEvery } from "../worker/repeat.js";
import { shutdownSafely } from "../rocketmq/shutdown.js";
import { createInflightGate } from "./inflight-gate.js";
import { dedupConsumer, type DedupConsumer } from "./lifecycle.js";
import { clientOptions, consumerProcessor, noteIfDeadLettered, processView, toDelivery, type ConsumerOptions } from "./dedup-consumer.js";

export type DedupSimpleConsumerOptions = ConsumerOptions & {
  /** Messages asked for per receive call (RocketMQ allows up to 32). Default 16. */
  receiveBatch?: number;
  /** Invisible time asked for at receive and renewed every third of it while a message is held. Default 30 s. */
  invisibleS?: number;
  /** Long-polling wait of a receive that finds nothing. Default 5 s. */
  awaitS?: number;
  /** Delay before a message that was not acked comes back: retryInitialS × 2^(attempt − 1), at most retryMaxS. Defaults 1 s, 60 s. */
  retryInitialS?: number;
  retryMaxS?: number;
  /** Deliveries the group allows before the broker dead-letters a message (recorded as dead_letter). Default 16. */
  maxAttempts?: number;
};

/** Pause after a failed receive (broker unreachable), doubling up to the maximum. */
const RECEIVE_BACKOFF_MS = { initial: 200, max: 5_000 };

export function createDedupSimpleConsumer(opts: DedupSimpleConsumerOptions): DedupConsumer {
  const cfg = settings();
  const log: Logger = (opts.log ?? defaultLogger()).child({ component: "dedup-simple-consumer", group: opts.group });
  const maxInflight = opts.maxInflight ?? cfg.DEDUP_MAX_INFLIGHT;
  const receiveBatch = Math.max(1, Math.min(32, opts.receiveBatch ?? 16));
  const invisibleMs = (opts.invisibleS ?? 30) * 1000;
  const maxAttempts = opts.maxAttempts ?? 16;
  const retry = { initialMs: (opts.retryInitialS ?? 1) * 1000, maxMs: (opts.retryMaxS ?? 60) * 1000 };

  const consumer = new SimpleConsumer({ ...clientOptions(opts), awaitDuration: (opts.awaitS ?? 5) * 1000 });
  // A SimpleConsumer pops: the broker hands messages to any member, no queue is assigned.
  const processor: DedupProcessor = consumerProcessor(opts, { clientId: consumer.clientId, assignedQueues: () => [] });

  const held = new Set<Promise<void>>();
  // The push consumer's flow control: receive only into free room, a little of it at a time only
  // when nothing more settles within the gate's linger.
  const gate = createInflightGate(maxInflight);
  const heldCount = { cachedMessagesCount: () => held.size };
  let receiving = false;
  let loop: Promise<void> | undefined;

  /** Delay before an unacked delivery comes back: grows with the attempt, like the broker's retry policy. */
  function retryDelayMs(verdict: Verdict, attempt: number): number {
    // A copy handed back by a stopping worker should reach another worker soon.
    if (!verdict.ack && verdict.outcome === "stopping") return retry.initialMs;
    return Math.min(retry.maxMs, retry.initialMs * 2 ** Math.max(0, attempt - 1));
  }

  async function handle(view: MessageView): Promise<void> {
    if (view.corrupted) {
      // Its body failed the broker's digest: neither claimed nor run (a claim would record the
      // damaged body's hash). Back to the broker for an intact delivery, as the push consumer does.
      log.error({ msgId: view.messageId, attempt: view.deliveryAttempt }, "message body corrupted in transit; returned to the broker");
      await noteIfDeadLettered(processor, toDelivery(view, ""), { ack: false, outcome: "error" }, maxAttempts);
      await consumer.changeInvisibleDuration(view, retry.initialMs).catch((err) => log.warn({ err, msgId: view.messageId }, "could not return a corrupted message"));
      return;
    }
    // Renewals and the final answer go one after another: each call replaces the receipt handle.
    const renewal = repeatEvery(invisibleMs / 3, () => consumer.changeInvisibleDuration(view, invisibleMs), {
      onError: (err) => log.warn({ err, msgId: view.messageId }, "could not renew the invisible time; the message may come back to another worker"),
    });
    let verdict: Verdict;
    try {
      verdict = await processView(processor, view, "", maxAttempts, log);
    } finally {
      await renewal.stop();
    }
    try {
      if (verdict.ack) await consumer.ack(view);
      else await consumer.changeInvisibleDuration(view, retryDelayMs(verdict, view.deliveryAttempt ?? 1));
    } catch (err) {
      // The answer is lost, not the message: it comes back after its invisible time, finds its
      // claim DONE (acked as a duplicate) or released (claimed and run again).
      log.warn({ err, msgId: view.messageId, ack: verdict.ack }, "could not answer the broker; the message will come back");
      if (verdict.ack) await processor.noteAckRefused([view.messageId]);
    }
  }

  function hold(view: MessageView): void {
    const task = handle(view).finally(() => {
      held.delete(task);
      gate.wake();
    });
    held.add(task);
  }

  async function receiveLoop(): Promise<void> {
    let backoffMs = 0;
    while (receiving) {
      const room = await gate.acquire(receiveBatch);
      if (room === 0) continue; // no room within the gate's wait (or stopping): ask again
      try {
        for (const view of await consumer.receive(room, invisibleMs)) hold(view);
        gate.track(heldCount);
        backoffMs = 0;
      } catch (err) {
        if (!receiving) break;
        backoffMs = Math.min(RECEIVE_BACKOFF_MS.max, Math.max(RECEIVE_BACKOFF_MS.initial, backoffMs * 2));
        // Logged when the pause starts growing from its initial value and at its cap, not on every retry.
        if (backoffMs === RECEIVE_BACKOFF_MS.initial || backoffMs === RECEIVE_BACKOFF_MS.max) log.warn({ err, retryInMs: backoffMs }, "receive failed; retrying");
        await new Promise((r) => setTimeout(r, backoffMs));
      } finally {
        gate.release(room);
      }
    }
  }

  // Stop asking for more, let held messages finish (waiting copies are handed back at once),
  // answer them all, then flush, deregister and close the client.
  return dedupConsumer({
    processor,
    client: consumer,
    name: "dedup simple consumer",
    topic: opts.topic,
    log,
    afterStart: () => {
      receiving = true;
      loop = receiveLoop();
    },
    shutdown: async () => {
      receiving = false;
      gate.close();
      const processorStopped = processor.stop({ graceMs: opts.shutdownTimeoutMs ?? 30_000 }).catch((err) => log.error({ err }, "dedup processor stop failed"));
      // A receive still long-polling may bring more: the stopped processor hands them back.
      await loop;
      await Promise.all([processorStopped, ...held]);
      const client = await shutdownSafely(consumer, { timeoutMs: 10_000, logger: log, name: "simple consumer" });
      if (!client.ok) log.warn({ reason: client.reason }, "simple consumer did not shut down cleanly");
    },
  });
}
