/**
 * Adaptive batching: an item is flushed at once when nothing is in flight, and whatever piles up
 * while a flush is running goes out together in the next one. Under light load every message
 * gets its own round trip (lowest latency); under load the batch grows with the backlog, so the
 * number of round trips per second stays about constant while messages per round trip rise.
 */
export interface BatcherOptions {
  /** Largest batch sent in one flush (a function is asked at every flush). */
  maxBatch: number | (() => number);
  /** Flushes allowed in flight at once (1 = strictly one batch at a time). */
  maxInflight: number | (() => number);
}

export interface Batcher<I, O> {
  submit(item: I): Promise<O>;
  /** Items waiting plus items in flight. */
  pending(): number;
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/**
 * `flush` receives the items in submission order and returns one result per item, same order.
 * If it throws, every item of that batch is rejected with the error.
 */
export function createBatcher<I, O>(flush: (items: I[]) => Promise<O[]>, opts: BatcherOptions): Batcher<I, O> {
  const maxBatch = typeof opts.maxBatch === "function" ? opts.maxBatch : () => opts.maxBatch as number;
  const maxInflight = typeof opts.maxInflight === "function" ? opts.maxInflight : () => opts.maxInflight as number;
  const queue: Waiting<I, O>[] = [];
  let inflight = 0;
  let inflightItems = 0;
  let scheduled = false;
  let idleWaiters: (() => void)[] = [];

  function schedule(): void {
    if (scheduled || inflight >= maxInflight() || queue.length === 0) return;
    scheduled = true;
    // A microtask, not a timer: items submitted in the same tick (one receive batch) go together
    // without adding latency.
    queueMicrotask(runFlush);
  }

  function runFlush(): void {
    scheduled = false;
    while (inflight < maxInflight() && queue.length > 0) {
      const batch = queue.splice(0, Math.max(1, maxBatch()));
      inflight++;
      inflightItems += batch.length;
      void flushOne(batch);
    }
  }

  async function flushOne(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await flush(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`batch flush returned ${results.length} results for ${batch.length} items`);
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      inflight--;
      inflightItems -= batch.length;
      if (queue.length > 0) schedule();
      else if (inflight === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    pending: () => queue.length + inflightItems,
    drain() {
      if (queue.length === 0 && inflight === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
