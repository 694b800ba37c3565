/**
 * A PushConsumer that remembers which broker queue each message came from and which queues it
 * has polled lately. The client keeps both private; the dedup log stores the queue on the claim,
 * and the worker registry reports assigned queues where the broker really assigns them (v4-style
 * clusters). In RocketMQ 5 pop mode every client polls the same queue id -1, reported as none.
 *
 * It also replaces the client's cache-full flow control (a 1 s sleep) with an event-driven gate
 * that fetches again as soon as a held message is settled — see inflight-gate.ts — and tells
 * `onAckRefused` of acks the broker refused or never answered (the client only logs them), a fact
 * a duplicate's cause is decided from.
 */
import type { MessageView, PushConsumerOptions } from "rocketmq-client-nodejs";
import { PushConsumer } from "../rocketmq/clients.js";
import { createInflightGate, type HeldCounter, type InflightGate } from "./inflight-gate.js";

type ReceiveArgs = Parameters<PushConsumer["receiveMessage"]>;
type AckArgs = Parameters<PushConsumer["ackMessageViaRpc"]>;
// Code.OK of the RocketMQ 5 protocol: the client exports no Code enum, only its generated CommonJS
// protobuf module, which this ESM package does not import for one number.
const OK = 20000;
type ConsumeService = ReturnType<PushConsumer["getConsumeService"]>;

const QUEUE_MEMORY_MS = 60_000;

export class ObservedPushConsumer extends PushConsumer {
  readonly #queueOf = new WeakMap<MessageView, string>();
  readonly #polled = new Map<string, number>();
  readonly #limit: number;
  readonly #gate: InflightGate;
  #service?: { real: ConsumeService; proxy: ConsumeService };
  readonly #onAckRefused: (msgIds: string[]) => void;

  constructor(options: PushConsumerOptions & { onAckRefused?: (msgIds: string[]) => void }) {
    super(options);
    this.#onAckRefused = options.onAckRefused ?? (() => {});
    this.#limit = Math.max(1, options.maxCacheMessageCount ?? 1024);
    this.#gate = createInflightGate(this.#limit);
  }

  override async receiveMessage(request: ReceiveArgs[0], mq: ReceiveArgs[1], awaitDuration: ReceiveArgs[2]): Promise<MessageView[]> {
    const queue = mq.queueId >= 0 ? `${mq.broker.name}:${mq.queueId}` : "";
    if (queue) this.#polled.set(queue, Date.now());
    const batch = await this.#gate.acquire(request.getBatchSize());
    if (batch === 0) {
      // No room within the wait (or stopping): an empty answer keeps the client's loop going.
      await new Promise((r) => setTimeout(r, 20));
      return [];
    }
    request.setBatchSize(batch);
    try {
      const views = await super.receiveMessage(request, mq, awaitDuration);
      if (queue) for (const v of views) this.#queueOf.set(v, queue);
      return views;
    } finally {
      // The client caches the result in the callback of this promise; hold the reservation
      // until then so two queues cannot both fill the same room.
      setImmediate(() => this.#gate.release(batch));
    }
  }

  /**
   * The client's own cache-full check would sleep 1 s; the gate keeps the count instead, so the
   * per-queue threshold only has to stay above what the gate allows.
   */
  override cacheMessageCountThresholdPerQueue(): number {
    return this.getQueueSize() <= 0 ? 0 : this.#limit + 1;
  }

  /** Process queues hand their messages to the consume service: that is where the gate learns of them. */
  override getConsumeService(): ConsumeService {
    const real = super.getConsumeService();
    if (!real) return real;
    if (this.#service?.real !== real) {
      const gate = this.#gate;
      const proxy = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop === "consume") {
            return (pq: HeldCounter, views: MessageView[]) => {
              gate.track(pq);
              const r = (target.consume as (pq: HeldCounter, views: MessageView[]) => unknown).call(target, pq, views);
              gate.wake(); // corrupted messages are discarded (evicted) inside consume()
              return r;
            };
          }
          const v = Reflect.get(target, prop, receiver);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      this.#service = { real, proxy };
    }
    return this.#service.proxy;
  }

  // Settling a message (ack, nack, DLQ forward) is what evicts it from the client's cache.
  override async ackMessageViaRpc(...args: AckArgs): ReturnType<PushConsumer["ackMessageViaRpc"]> {
    const msgIds = () => args[1].getEntriesList().map((e) => e.getMessageId());
    try {
      const response = await super.ackMessageViaRpc(...args);
      if (response.getStatus()?.getCode() !== OK) this.#onAckRefused(msgIds());
      return response;
    } catch (err) {
      this.#onAckRefused(msgIds());
      throw err;
    } finally {
      this.#gate.wake();
    }
  }

  override async changeInvisibleDurationViaRpc(...args: Parameters<PushConsumer["changeInvisibleDurationViaRpc"]>): ReturnType<PushConsumer["changeInvisibleDurationViaRpc"]> {
    try {
      return await super.changeInvisibleDurationViaRpc(...args);
    } finally {
      this.#gate.wake();
    }
  }

  override async forwardMessageToDeadLetterQueueViaRpc(
    ...args: Parameters<PushConsumer["forwardMessageToDeadLetterQueueViaRpc"]>
  ): ReturnType<PushConsumer["forwardMessageToDeadLetterQueueViaRpc"]> {
    try {
      return await super.forwardMessageToDeadLetterQueueViaRpc(...args);
    } finally {
      this.#gate.wake();
    }
  }

  override async shutdown(): Promise<void> {
    // Waiting receives give up (the client drops its queues in the same tick, so they stop).
    this.#gate.close();
    return super.shutdown();
  }

  /** Messages held right now (received, not yet settled), as the gate counts them. */
  heldMessages(): number {
    return this.#gate.held();
  }

  /** "broker:queueId" of the queue a message was received from; '' in pop mode. */
  queueOf(view: MessageView): string {
    return this.#queueOf.get(view) ?? "";
  }

  /** Queues polled within the last minute (a dropped queue stops being polled), sorted. */
  assignedQueues(): string[] {
    const now = Date.now();
    for (const [q, at] of this.#polled) if (now - at > QUEUE_MEMORY_MS) this.#polled.delete(q);
    return [...this.#polled.keys()].sort();
  }
}
