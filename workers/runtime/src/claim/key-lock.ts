/**
 * One delivery per key at a time in this process. A later copy of a key waits for the first in
 * memory — no database round trip, and no two claims of one key from one worker. The promise a
 * waiter awaits is made only when someone waits, since almost no key ever has a second copy in
 * flight.
 */

class KeySlot {
  #done = false;
  #released?: Promise<void>;
  #resolve?: () => void;
  released(): Promise<void> {
    if (this.#done) return Promise.resolve();
    return (this.#released ??= new Promise<void>((r) => (this.#resolve = r)));
  }
  release(): void {
    this.#done = true;
    this.#resolve?.();
  }
}

export interface KeyLocks {
  /** The copy of `ref` running here now, if any: wait for its `released()`. */
  holder(ref: string): { released(): Promise<void> } | undefined;
  /** Take `ref` (nobody holds it); the returned function gives it back. */
  take(ref: string): () => void;
}

export function createKeyLocks(): KeyLocks {
  const slots = new Map<string, KeySlot>();
  return {
    holder: (ref) => slots.get(ref),
    take(ref) {
      const slot = new KeySlot();
      slots.set(ref, slot);
      return () => {
        slots.delete(ref);
        slot.release();
      };
    },
  };
}
