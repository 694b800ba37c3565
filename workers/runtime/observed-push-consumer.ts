/**
 * A PushConsumer that remembers which broker queue each message came from and which queues it
 * has polled lately. The client keeps both private; the dedup log stores the queue on the claim,
 * and the worker registry reports assigned queues where the broker really assigns them (v4-style
 * clusters). In RocketMQ 5 pop mode every client polls the same queue id -1, reported as none.
 */
import { PushConsumer, type MessageView } from "rocketmq-client-nodejs";

type ReceiveArgs = Parameters<PushConsumer["receiveMessage"]>;

const QUEUE_MEMORY_MS = 60_000;

export class ObservedPushConsumer extends PushConsumer {
  readonly #queueOf = new WeakMap<MessageView, string>();
  readonly #polled = new Map<string, number>();

  override async receiveMessage(request: ReceiveArgs[0], mq: ReceiveArgs[1], awaitDuration: ReceiveArgs[2]): Promise<MessageView[]> {
    const queue = mq.queueId >= 0 ? `${mq.broker.name}:${mq.queueId}` : "";
    if (queue) this.#polled.set(queue, Date.now());
    const views = await super.receiveMessage(request, mq, awaitDuration);
    if (queue) for (const v of views) this.#queueOf.set(v, queue);
    return views;
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
