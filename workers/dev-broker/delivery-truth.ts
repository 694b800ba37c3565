/**
 * Why the broker handed out each delivery — the ground truth a test or demo holds the runtime's
 * duplicate causes against. Consumption calls the hooks below at the moments it decides; the
 * reason of a delivery that comes back is kept beside its entry until it is handed out again.
 *   first                 first delivery of a message to the group
 *   resend_copy           first delivery of a message whose key the group already received under
 *                         another msgId (the producer sent the key twice)
 *   nack                  came back after the holder changed its invisible time (nack / backoff)
 *   dropped_ack           came back because the broker dropped the holder's ack (faults.ts)
 *   expired_holder_alive  its invisible time ran out while the holder was still alive
 *   expired_holder_dead   the holder died or left (connection gone, silent, terminated)
 *   v4_replay             its queue moved to another client and an acked offset came again
 * Counts per group are always kept; the per-delivery log (for matching single hits) is capped.
 */
import type { Entry } from "./subscription";
import type { StoredMessage } from "./store";

export const DELIVERY_REASONS = ["first", "resend_copy", "nack", "dropped_ack", "expired_holder_alive", "expired_holder_dead", "v4_replay"] as const;
export type DeliveryReason = (typeof DELIVERY_REASONS)[number];

export interface DeliveryRecord {
  msgId: string;
  attempt: number;
  atMs: number;
  reason: DeliveryReason;
}

/** What happened to an entry while it was out, read when it comes back. */
interface Marks {
  ackDropped?: boolean;
  nacked?: boolean;
  holderGone?: boolean;
  reason?: DeliveryReason;
}

const LOG_CAP = 2_000_000;

/**
 * One group's deliveries in order, column by column: the broker records every delivery, and an
 * object per record was a retained allocation per message that the young-generation GC had to
 * copy and promote. The msgId strings are the stored messages' own; the numbers go into typed
 * arrays that grow by doubling.
 */
class DeliveryColumns {
  readonly msgIds: string[] = [];
  attempts = new Uint32Array(1024);
  atMs = new Float64Array(1024);
  reasons = new Uint8Array(1024);

  push(msgId: string, attempt: number, atMs: number, reason: number): void {
    const i = this.msgIds.length;
    if (i === this.reasons.length) this.#grow(i * 2);
    this.msgIds.push(msgId);
    this.attempts[i] = attempt;
    this.atMs[i] = atMs;
    this.reasons[i] = reason;
  }

  records(): DeliveryRecord[] {
    return this.msgIds.map((msgId, i) => ({ msgId, attempt: this.attempts[i], atMs: this.atMs[i], reason: DELIVERY_REASONS[this.reasons[i]] }));
  }

  #grow(size: number): void {
    const grow = <T extends Uint32Array | Float64Array | Uint8Array>(from: T, to: T): T => (to.set(from), to);
    this.attempts = grow(this.attempts, new Uint32Array(size));
    this.atMs = grow(this.atMs, new Float64Array(size));
    this.reasons = grow(this.reasons, new Uint8Array(size));
  }
}

const REASON_INDEX = new Map<DeliveryReason, number>(DELIVERY_REASONS.map((r, i) => [r, i]));

export class DeliveryTruth {
  readonly #marks = new WeakMap<Entry, Marks>();
  /** group → topic → key → the msgId the group first received it under (nested: no joined key string per delivery) */
  readonly #firstMsgIdOfKey = new Map<string, Map<string, Map<string, string>>>();
  readonly #counts = new Map<string, Record<DeliveryReason, number>>();
  readonly #log = new Map<string, DeliveryColumns>();
  #logged = 0;

  constructor(private readonly isClientAlive: (clientId: string) => boolean) {}

  ackDropped(entry: Entry): void {
    this.#mark(entry).ackDropped = true;
  }

  nacked(entry: Entry): void {
    this.#mark(entry).nacked = true;
  }

  /** The holder left or died; its entries are about to come back. */
  holderGone(entry: Entry): void {
    this.#mark(entry).holderGone = true;
  }

  /** An entry became visible again (before its holder is forgotten): decide why, once. */
  comesBack(entry: Entry): void {
    const m = this.#mark(entry);
    const holderAlive = entry.clientId !== undefined && !m.holderGone && this.isClientAlive(entry.clientId);
    m.reason = m.ackDropped ? "dropped_ack" : !holderAlive ? "expired_holder_dead" : m.nacked ? "nack" : "expired_holder_alive";
  }

  replayed(entry: Entry): void {
    this.#marks.set(entry, { reason: "v4_replay" });
  }

  /** A delivery is handed out now. */
  delivered(group: string, msg: StoredMessage, entry: Entry): void {
    const marks = this.#marks.get(entry); // only an entry that came back has marks
    if (marks) this.#marks.delete(entry);
    const reason = marks?.reason ?? this.#firstReason(group, msg);
    let counts = this.#counts.get(group);
    if (!counts) this.#counts.set(group, (counts = Object.fromEntries(DELIVERY_REASONS.map((r) => [r, 0])) as Record<DeliveryReason, number>));
    counts[reason]++;
    if (this.#logged >= LOG_CAP) return;
    this.#logged++;
    let log = this.#log.get(group);
    if (!log) this.#log.set(group, (log = new DeliveryColumns()));
    log.push(msg.msgId, entry.attempt, Date.now(), REASON_INDEX.get(reason)!);
  }

  counts(group: string): Record<DeliveryReason, number> {
    return { ...(this.#counts.get(group) ?? (Object.fromEntries(DELIVERY_REASONS.map((r) => [r, 0])) as Record<DeliveryReason, number>)) };
  }

  /** Every delivery to the group in order, while the log is under its cap (`complete` says so). */
  log(group: string): { records: DeliveryRecord[]; complete: boolean } {
    return { records: this.#log.get(group)?.records() ?? [], complete: this.#logged < LOG_CAP };
  }

  #firstReason(group: string, msg: StoredMessage): DeliveryReason {
    const key = msg.keys[0];
    if (key === undefined) return "first";
    let topics = this.#firstMsgIdOfKey.get(group);
    if (!topics) this.#firstMsgIdOfKey.set(group, (topics = new Map()));
    let keys = topics.get(msg.topic);
    if (!keys) topics.set(msg.topic, (keys = new Map()));
    const first = keys.get(key);
    if (first === undefined) keys.set(key, msg.msgId);
    return first === undefined || first === msg.msgId ? "first" : "resend_copy";
  }

  #mark(entry: Entry): Marks {
    let m = this.#marks.get(entry);
    if (!m) this.#marks.set(entry, (m = {}));
    return m;
  }
}
