/**
 * Receive flow control for the push consumer: hold at most `limit` messages at once, and fetch
 * more the moment one is settled.
 *
 * Why: rocketmq-client-nodejs 1.0.8 checks its cache after every receive, and when the cache is
 * full it sleeps RECEIVING_BACKOFF_DELAY_WHEN_CACHE_IS_FULL = 1 s before asking again. With a
 * small cache (DEDUP_MAX_INFLIGHT = 64) and any handler slower than one receive round trip, every
 * cycle ends in that sleep: the worker consumed 64 messages per second, whatever the database
 * could do (measured by bench/consume.bench.ts: 64 msgs/s with dedup on vs 1,500 without).
 *
 * How: the consumer's per-queue cache threshold is raised above the limit so the client never
 * takes its 1 s sleep, and each receive call first waits here for room: it sizes its batch to the
 * free room (reserved until the client has cached the result), and wakes as soon as an ack /
 * nack / DLQ forward settles, which is when the client evicts a message. The count is the
 * client's own (cachedMessagesCount of each process queue), so "held" means exactly what it
 * meant before: received and not yet settled. A waiting receive gives up after `maxWaitMs` with
 * no messages, so the client's loop stays alive (its idle-expiry clock is refreshed) and a
 * dropped queue stops asking.
 *
 * A receive that finds room, but less than it asks for while messages are still held, lingers up
 * to `lingerMs` for more to settle (a consumer's fetch.max.wait): the acks of one committed dedup
 * batch come a few milliseconds apart, and taking the room ack by ack cost one gRPC receive per
 * one or two messages — twice the receive calls of the same worker without dedup (measured:
 * 365 vs 188 calls per 6,000 messages). A slow handler loses at most `lingerMs` per receive.
 */

export interface HeldCounter {
  cachedMessagesCount(): number;
}

export interface InflightGate {
  /** A process queue handed messages to the consume service: count what it holds. */
  track(pq: HeldCounter): void;
  /** Wait for room; resolves to the batch size to ask for (0 = give up this round), reserved. */
  acquire(wanted: number): Promise<number>;
  /** The receive finished and the client cached its result (or it failed): free the reservation. */
  release(reserved: number): void;
  /** Something was settled (acked, nacked, forwarded): re-check waiters. */
  wake(): void;
  /** Messages the client holds now (cached in the tracked process queues). */
  held(): number;
  /** No more waiting: every waiter gets 0. */
  close(): void;
}

export function createInflightGate(limit: number, opts: { maxWaitMs?: number; recheckMs?: number; lingerMs?: number } = {}): InflightGate {
  const maxWaitMs = opts.maxWaitMs ?? 1000;
  const recheckMs = opts.recheckMs ?? 100;
  const lingerMs = opts.lingerMs ?? 5;
  const queues = new Set<HeldCounter>();
  const waiters: { wanted: number; resolve(n: number): void; until: number }[] = [];
  let reserved = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  /** When the waiter at the head first saw room it could take (the start of its linger). */
  let roomSince: number | undefined;
  let wakeScheduled = false;

  function cached(): number {
    let n = 0;
    for (const q of queues) {
      const c = q.cachedMessagesCount();
      // A queue re-registers with every batch it hands over; one that holds nothing is forgotten.
      if (c === 0) queues.delete(q);
      n += c;
    }
    return n;
  }

  function serve(): void {
    const now = Date.now();
    let free = limit - cached() - reserved;
    while (waiters.length > 0) {
      const w = waiters[0];
      if (closed) {
        waiters.shift();
        w.resolve(0);
        continue;
      }
      if (free <= 0) {
        roomSince = undefined;
        break;
      }
      roomSince ??= now;
      if (free < w.wanted && free < limit && now - roomSince < lingerMs) {
        if (!lingerTimer) {
          lingerTimer = setTimeout(() => {
            lingerTimer = undefined;
            serve();
          }, roomSince + lingerMs - now);
          lingerTimer.unref();
        }
        break;
      }
      roomSince = undefined;
      waiters.shift();
      const n = Math.min(w.wanted, free);
      reserved += n;
      free -= n;
      w.resolve(n);
    }
    // Waiters that waited long enough give up with 0 (in FIFO order, the head is the oldest).
    while (waiters.length > 0 && (closed || waiters[0].until <= now)) waiters.shift()!.resolve(0);
    if (waiters.length > 0 && !timer) {
      timer = setTimeout(() => {
        timer = undefined;
        serve();
      }, recheckMs);
      timer.unref();
    }
  }

  return {
    track(pq) {
      queues.add(pq);
    },
    acquire(wanted) {
      if (closed) return Promise.resolve(0);
      return new Promise<number>((resolve) => {
        waiters.push({ wanted: Math.max(1, wanted), resolve, until: Date.now() + maxWaitMs });
        serve();
      });
    },
    release(n) {
      reserved = Math.max(0, reserved - n);
      serve();
    },
    wake() {
      // The client evicts in a promise callback after the RPC settles: check once those ran.
      if (wakeScheduled) return;
      wakeScheduled = true;
      setImmediate(() => {
        wakeScheduled = false;
        serve();
      });
    },
    held: () => cached(),
    close() {
      closed = true;
      serve();
    },
  };
}
