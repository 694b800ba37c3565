/**
 * Topics, queues and the messages in them — an append-only log per queue, like a broker's
 * consume queue: offsets only grow, and the oldest entries are dropped past a retention cap.
 * Who consumed what lives in consumption.ts; this file never changes a stored message.
 */
import { hash } from "node:crypto";
import type { TopicType } from "./topic-types";

export interface StoredMessage {
  topic: string;
  queueId: number;
  offset: number;
  msgId: string;
  body: Uint8Array;
  /** MD5 of the body as the client checks it (upper-case hex). */
  digest: string;
  bodyEncoding: number;
  messageType: number;
  tag?: string;
  keys: string[];
  messageGroup?: string;
  properties: [string, string][];
  bornAtMs: number;
  bornHost: string;
  storedAtMs: number;
  /** Set for delayed messages: when they became deliverable. */
  deliverAtMs?: number;
  /** Messages in a %DLQ% topic remember where they died. */
  deadLetter?: { topic: string; group: string; attempts: number };
}

/** What a producer hands over; the store assigns queue, offset and store time. */
export type NewMessage = Omit<StoredMessage, "topic" | "queueId" | "offset" | "digest" | "storedAtMs">;

export class TopicQueue {
  /** Offset of messages[0]. */
  minOffset = 0;
  messages: StoredMessage[] = [];

  get maxOffset(): number {
    return this.minOffset + this.messages.length;
  }

  get(offset: number): StoredMessage | undefined {
    return this.messages[offset - this.minOffset];
  }
}

export class Topic {
  readonly queues: TopicQueue[];
  sent = 0;
  #roundRobin = 0;

  constructor(
    readonly name: string,
    queueCount: number,
    /** The kind of message it accepts (topic-types.ts). */
    readonly type: TopicType = "NORMAL",
  ) {
    this.queues = Array.from({ length: queueCount }, () => new TopicQueue());
  }

  /** The proxy ignores the queue the client names: message group → hash, otherwise round robin. */
  pickQueue(messageGroup: string | undefined): number {
    if (messageGroup) return hashString(messageGroup) % this.queues.length;
    return this.#roundRobin++ % this.queues.length;
  }
}

export class Store {
  readonly topics = new Map<string, Topic>();

  constructor(
    private readonly queueCount: number,
    private readonly maxMessagesPerQueue: number,
  ) {}

  getTopic(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  ensureTopic(name: string, queues = this.queueCount, type: TopicType = "NORMAL"): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = new Topic(name, queues, type);
      this.topics.set(name, topic);
    }
    return topic;
  }

  append(topicName: string, msg: NewMessage, queues?: number): StoredMessage {
    const topic = this.ensureTopic(topicName, queues);
    const queueId = topic.pickQueue(msg.messageGroup);
    const queue = topic.queues[queueId];
    // Field by field rather than {...msg}: callers pass objects of several shapes (decoded sends,
    // held messages, dead letters), and one shape keeps every later read of a message monomorphic.
    const stored: StoredMessage = {
      topic: topic.name, // the topic's own string, not the one decoded from this request: one less retained per message
      queueId,
      offset: queue.maxOffset,
      msgId: msg.msgId,
      body: msg.body,
      digest: digestOf(msg.body),
      bodyEncoding: msg.bodyEncoding,
      messageType: msg.messageType,
      tag: msg.tag,
      keys: msg.keys,
      messageGroup: msg.messageGroup,
      properties: msg.properties,
      bornAtMs: msg.bornAtMs,
      bornHost: msg.bornHost,
      storedAtMs: Date.now(),
      deliverAtMs: msg.deliverAtMs,
      deadLetter: msg.deadLetter,
    };
    queue.messages.push(stored);
    topic.sent++;
    this.#trim(queue);
    return stored;
  }

  get(topicName: string, queueId: number, offset: number): StoredMessage | undefined {
    return this.topics.get(topicName)?.queues[queueId]?.get(offset);
  }

  /** All retained messages of a topic, queue by queue, oldest first (for admin inspection). */
  list(topicName: string): StoredMessage[] {
    const topic = this.topics.get(topicName);
    return topic ? topic.queues.flatMap((q) => q.messages) : [];
  }

  /** Drop the oldest tenth once over the cap, so trimming stays O(1) amortised. */
  #trim(queue: TopicQueue): void {
    if (queue.messages.length <= this.maxMessagesPerQueue) return;
    const drop = Math.max(1, Math.floor(this.maxMessagesPerQueue / 10));
    queue.messages.splice(0, drop);
    queue.minOffset += drop;
  }
}

export function digestOf(body: Uint8Array): string {
  return hash("md5", body, "hex").toUpperCase(); // one-shot: no Hash object per message
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}
