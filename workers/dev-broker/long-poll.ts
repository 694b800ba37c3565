/**
 * Long polling: a receive that found nothing parks here until something for its topic arrives
 * (a send, a revived message) or its time is up. Waiters are woken all at once and simply look
 * again; losing the race just means parking once more.
 */

/** What a parked receive can be cut short by: its call going away (grpc-js emits "cancelled"). */
export interface Cancellable {
  once(event: "cancelled", listener: () => void): unknown;
  off(event: "cancelled", listener: () => void): unknown;
}

export class LongPoll {
  readonly #waiters = new Map<string, Set<() => void>>();

  /**
   * Resolves on the next notify(topic), after `ms`, or when `call` is cancelled. The cancel
   * listener is attached only while parked: most receives find messages at once and never need one.
   */
  wait(topic: string, ms: number, call?: Cancellable): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(topic);
      if (!set) {
        set = new Set();
        this.#waiters.set(topic, set);
      }
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        call?.off("cancelled", done);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(topic) === waiters) this.#waiters.delete(topic);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      call?.once("cancelled", done);
      waiters.add(done);
    });
  }

  notify(topic: string): void {
    const set = this.#waiters.get(topic);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  /** Wake everyone (broker closing). */
  notifyAll(): void {
    for (const topic of [...this.#waiters.keys()]) this.notify(topic);
  }
}
