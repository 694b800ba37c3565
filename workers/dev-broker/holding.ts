/**
 * Messages that exist but are not yet in a queue: delayed messages (until their delivery time,
 * recallable until then) and transactional half messages (until EndTransaction commits them).
 * As in RocketMQ, they reach the topic's queue only when released, so consumers never skip them.
 */
import { randomUUID } from "node:crypto";
import type { NewMessage } from "./store";

type Held = NewMessage & { topic: string };

export class Holding {
  readonly #delayed = new Map<string, { msg: Held; deliverAtMs: number }>();
  readonly #half = new Map<string, Held>();

  /** Returns the recall handle. */
  delay(msg: Held, deliverAtMs: number): string {
    const handle = `rc.${randomUUID()}`;
    this.#delayed.set(handle, { msg, deliverAtMs });
    return handle;
  }

  /** Keyed by the message id, which is the transaction id (TransactionalMessageBridge). */
  holdHalf(msg: Held): void {
    this.#half.set(msg.msgId, msg);
  }

  recall(handle: string): Held | undefined {
    const held = this.#delayed.get(handle);
    this.#delayed.delete(handle);
    return held?.msg;
  }

  endTransaction(txId: string, msgId: string, commit: boolean): Held | undefined | "unknown" {
    const msg = this.#half.get(txId);
    if (!msg || (msgId && msg.msgId !== msgId)) return "unknown";
    this.#half.delete(txId);
    return commit ? msg : undefined;
  }

  /** Delayed messages whose time has come, removed from holding. */
  takeDue(now = Date.now()): Held[] {
    const due: Held[] = [];
    for (const [handle, { msg, deliverAtMs }] of this.#delayed) {
      if (deliverAtMs > now) continue;
      due.push(msg);
      this.#delayed.delete(handle);
    }
    return due;
  }

  counts(): { delayed: number; half: number } {
    return { delayed: this.#delayed.size, half: this.#half.size };
  }
}
