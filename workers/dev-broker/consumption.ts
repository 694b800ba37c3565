/**
 * Per consumer group: what was delivered, what is invisible, what comes back and when — the pop
 * consumption model of RocketMQ 5. For each group × topic × queue:
 *   nextOffset  first message never delivered to the group,
 *   inflight    delivered, not acked, invisible until visibleAtMs (Infinity while auto-renewed),
 *   ready       became visible again; delivered before new messages, with attempt + 1,
 *   acked       recent acks (v4 mode only), replayed when the queue moves to another client.
 * The broker, not the client, counts attempts: a message that would exceed the group's max
 * attempts goes to %DLQ%<group> instead of coming back.
 */
import type { Code as CodeEnum } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";
import type { DeliveryTruth } from "./delivery-truth";
import type { EventLog } from "./events";
import type { Faults } from "./faults";
import { Code } from "./proto";
import { decodeReceipt, encodeReceipt, nextDeliverySeq } from "./receipt";
import { EXPIRED_HANDLE } from "./validate";
import type { Store, StoredMessage } from "./store";
import { Subscription, type Delivery, type Entry, type GroupTopicStats, type QueueState, type ReceiveQuery } from "./subscription";

export type { Delivery, Entry, GroupTopicStats, ReceiveQuery } from "./subscription";

type CodeValue = CodeEnum;

export class Consumption {
  /** group → topic → subscription */
  readonly #groups = new Map<string, Map<string, Subscription>>();

  constructor(
    private readonly store: Store,
    private readonly faults: Faults,
    private readonly events: EventLog,
    private readonly policy: { maxAttempts(group: string): number; renewInvisibleMs(): number },
    /** Wakes long polls on a topic when something became receivable. */
    private readonly notify: (topic: string) => void,
    /** Records why each delivery was handed out (delivery-truth.ts). */
    private readonly truth?: DeliveryTruth,
  ) {}

  /** Hand out up to `batch` visible messages: returning ones first, then new ones. */
  receive(q: ReceiveQuery): Delivery[] {
    const topic = this.store.getTopic(q.topic);
    if (!topic) return [];
    const sub = this.#subscription(q.group, q.topic, true)!;
    const count = topic.queues.length;
    const start = sub.rotation++;
    const ids = q.queueId >= 0 ? [q.queueId] : Array.from({ length: count }, (_, i) => (start + i) % count);
    const out: Delivery[] = [];
    const now = Date.now();
    for (const id of ids) {
      const qs = sub.queues[id];
      const tq = topic.queues[id];
      if (!qs || !tq) continue;
      for (const entry of qs.ready.values()) {
        if (out.length >= q.batch) break;
        qs.ready.delete(entry.offset);
        const msg = tq.get(entry.offset);
        if (msg && q.filter(msg)) out.push(this.#deliver(sub, qs, entry, msg, q, now));
      }
      if (qs.nextOffset < tq.minOffset) qs.nextOffset = tq.minOffset; // trimmed by retention
      while (out.length < q.batch && qs.nextOffset < tq.maxOffset) {
        const offset = qs.nextOffset++;
        const msg = tq.get(offset)!;
        if (!q.filter(msg)) continue; // not for this subscription: consumed by skipping, as the broker does
        const entry: Entry = { topic: q.topic, queueId: id, offset, attempt: 1, seq: 0, autoRenew: false, visibleAtMs: 0 };
        out.push(this.#deliver(sub, qs, entry, msg, q, now));
      }
      if (out.length >= q.batch) break;
    }
    if (out.length > 0) sub.stats.receives++;
    return out;
  }

  #deliver(sub: Subscription, qs: QueueState, entry: Entry, msg: StoredMessage, q: ReceiveQuery, now: number): Delivery {
    entry.seq = nextDeliverySeq();
    entry.clientId = q.clientId;
    entry.autoRenew = q.autoRenew;
    entry.visibleAtMs = q.autoRenew ? Infinity : now + q.invisibleMs;
    qs.inflight.set(entry.offset, entry);
    this.truth?.delivered(q.group, msg, entry);
    sub.stats.delivered++;
    if (entry.attempt > 1) {
      sub.stats.redelivered++;
      this.events.push({ type: "redeliver", group: q.group, topic: q.topic, msgId: msg.msgId, attempt: entry.attempt });
    }
    return { msg, entry, receipt: encodeReceipt({ queueId: entry.queueId, offset: entry.offset, seq: entry.seq }) };
  }

  /** Look up the inflight delivery a receipt handle names; an expired one is revived on the spot. */
  #lookup(group: string, topic: string, handle: string, msgId: string) {
    const r = decodeReceipt(handle);
    const sub = r && this.#subscription(group, topic, false);
    const qs = r && sub?.queues[r.queueId];
    const entry = r && qs?.inflight.get(r.offset);
    if (!r || !sub || !qs || !entry || entry.seq !== r.seq) return undefined;
    const msg = this.store.get(topic, entry.queueId, entry.offset);
    if (msg && msgId && msg.msgId !== msgId) return undefined;
    if (entry.visibleAtMs <= Date.now()) {
      this.#expire(group, sub, qs, entry);
      return undefined;
    }
    return { sub, qs, entry, msg };
  }

  ack(group: string, topic: string, handle: string, msgId: string): { code: CodeValue; message: string } {
    const found = this.#lookup(group, topic, handle, msgId);
    if (!found) return EXPIRED_HANDLE;
    const { sub, qs, entry, msg } = found;
    if (this.faults.shouldDropAck()) {
      sub.stats.ackDropped++;
      this.truth?.ackDropped(entry);
      this.events.push({ type: "ackDropped", group, topic, msgId: msg?.msgId ?? msgId });
      // The proxy stops renewing once the client acked; without the ack the message revives.
      if (entry.autoRenew) {
        entry.autoRenew = false;
        entry.visibleAtMs = Date.now() + this.policy.renewInvisibleMs();
      }
      // A lost ack as a client meets it: answered as a real proxy answers an ack that came after
      // the copy's invisible time ran out (the client gives up on it; the copy comes back).
      return EXPIRED_HANDLE;
    }
    qs.inflight.delete(entry.offset);
    sub.stats.acked++;
    if (this.faults.v4Mode) qs.acks.record(entry.offset, entry.attempt, this.faults.replayWindowS);
    return { code: Code.OK, message: "OK" };
  }

  /** Nack / extend: the delivery gets a new handle and becomes visible after `durationMs`. */
  changeInvisible(group: string, topic: string, handle: string, msgId: string, durationMs: number): { code: CodeValue; message: string; receipt?: string } {
    const found = this.#lookup(group, topic, handle, msgId);
    if (!found) return EXPIRED_HANDLE;
    const { sub, entry, msg } = found;
    entry.autoRenew = false;
    entry.visibleAtMs = Date.now() + durationMs;
    entry.seq = nextDeliverySeq();
    sub.stats.nacked++;
    this.truth?.nacked(entry);
    this.events.push({ type: "changeInvisible", group, topic, msgId: msg?.msgId ?? msgId, durationMs, attempt: entry.attempt });
    return { code: Code.OK, message: "OK", receipt: encodeReceipt({ queueId: entry.queueId, offset: entry.offset, seq: entry.seq }) };
  }

  forwardToDeadLetter(group: string, topic: string, handle: string, msgId: string): { code: CodeValue; message: string } {
    const found = this.#lookup(group, topic, handle, msgId);
    if (!found) return EXPIRED_HANDLE;
    found.qs.inflight.delete(found.entry.offset);
    if (found.msg) this.#deadLetter(group, found.sub, found.msg, found.entry.attempt);
    return { code: Code.OK, message: "OK" };
  }

  /** A client left or died: its auto-renewed messages become visible now, with attempt + 1. */
  releaseClient(clientId: string): number {
    let released = 0;
    for (const [group, subs] of this.#groups) {
      for (const sub of subs.values()) {
        for (const qs of sub.queues) {
          for (const entry of qs.inflight.values()) {
            if (entry.clientId !== clientId || !entry.autoRenew) continue;
            entry.visibleAtMs = 0;
            this.truth?.holderGone(entry);
            this.#expire(group, sub, qs, entry);
            released++;
          }
        }
      }
    }
    return released;
  }

  /** Revive every delivery whose invisible time is over. */
  sweep(now = Date.now()): void {
    for (const [group, subs] of this.#groups) {
      for (const sub of subs.values()) {
        for (const qs of sub.queues) {
          for (const entry of qs.inflight.values()) {
            if (entry.visibleAtMs <= now) this.#expire(group, sub, qs, entry);
          }
        }
      }
    }
  }

  #expire(group: string, sub: Subscription, qs: QueueState, entry: Entry): void {
    this.truth?.comesBack(entry);
    qs.inflight.delete(entry.offset);
    entry.autoRenew = false;
    entry.clientId = undefined;
    const msg = this.store.get(entry.topic, entry.queueId, entry.offset);
    if (!msg) return; // dropped by retention
    if (entry.attempt >= this.policy.maxAttempts(group)) {
      this.#deadLetter(group, sub, msg, entry.attempt);
      return;
    }
    entry.attempt++;
    qs.ready.set(entry.offset, entry);
    this.notify(entry.topic);
  }

  #deadLetter(group: string, sub: Subscription, msg: StoredMessage, attempts: number): void {
    const dlqTopic = `%DLQ%${group}`;
    // The same message, deliverable now, remembering where it died; append() keeps only its fields.
    this.store.append(dlqTopic, { ...msg, deliverAtMs: undefined, deadLetter: { topic: msg.topic, group, attempts } }, 1);
    sub.stats.dlq++;
    this.events.push({ type: "deadLetter", group, topic: msg.topic, msgId: msg.msgId, attempts });
    this.notify(dlqTopic);
  }

  /**
   * v4 mode: a queue moved to another client. What was acked on it in the replay window comes
   * again (same msgId, same attempt) — the uncommitted-offset replay of RocketMQ 4.
   */
  replayQueue(group: string, topic: string, queueId: number): number {
    const sub = this.#subscription(group, topic, false);
    const qs = sub?.queues[queueId];
    if (!sub || !qs) return 0;
    let count = 0;
    for (const rec of qs.acks.takeRecent(this.faults.replayWindowS)) {
      if (qs.inflight.has(rec.offset) || qs.ready.has(rec.offset) || !this.store.get(topic, queueId, rec.offset)) continue;
      const entry: Entry = { topic, queueId, offset: rec.offset, attempt: rec.attempt, seq: 0, autoRenew: false, visibleAtMs: 0 };
      this.truth?.replayed(entry);
      qs.ready.set(rec.offset, entry);
      count++;
    }
    sub.stats.replayed += count;
    if (count > 0) this.notify(topic);
    return count;
  }

  /** v4 mode bookkeeping: previous owner of each queue (see assignments.ts). */
  owners(group: string, topic: string): (string | undefined)[] {
    return this.#subscription(group, topic, true)?.owners ?? [];
  }

  setOwners(group: string, topic: string, owners: (string | undefined)[]): void {
    const sub = this.#subscription(group, topic, true);
    if (!sub) return;
    sub.owners = owners;
    for (const id of sub.told.keys()) if (!owners.includes(id)) sub.told.delete(id);
  }

  recordTold(group: string, topic: string, clientId: string, queueIds: number[]): void {
    this.#subscription(group, topic, true)?.told.set(clientId, queueIds);
  }

  /** v4 mode: current owner of each queue, and what each client was last answered. */
  assignments(group: string, topic: string): { owners: (string | undefined)[]; told: Record<string, number[]> } {
    const sub = this.#subscription(group, topic, false);
    return { owners: [...(sub?.owners ?? [])], told: Object.fromEntries(sub?.told ?? []) };
  }

  stats(): Record<string, Record<string, GroupTopicStats>> {
    const out: Record<string, Record<string, GroupTopicStats>> = {};
    for (const [group, subs] of this.#groups) {
      out[group] = {};
      for (const [topicName, sub] of subs) {
        const topic = this.store.getTopic(topicName);
        let inflight = 0;
        let ready = 0;
        let backlog = 0;
        sub.queues.forEach((qs, id) => {
          inflight += qs.inflight.size;
          ready += qs.ready.size;
          const tq = topic?.queues[id];
          if (tq) backlog += Math.max(0, tq.maxOffset - Math.max(qs.nextOffset, tq.minOffset));
        });
        out[group][topicName] = { ...sub.stats, inflight, ready, backlog };
      }
    }
    return out;
  }

  /** Subscriptions start at the oldest retained message, like a new pop group on a young queue. */
  #subscription(group: string, topicName: string, create: boolean): Subscription | undefined {
    let subs = this.#groups.get(group);
    let sub = subs?.get(topicName);
    if (sub || !create) return sub;
    const topic = this.store.getTopic(topicName);
    if (!topic) return undefined;
    if (!subs) {
      subs = new Map();
      this.#groups.set(group, subs);
    }
    sub = new Subscription(topic.queues.map((q) => q.minOffset));
    subs.set(topicName, sub);
    return sub;
  }
}
