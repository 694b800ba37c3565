/**
 * The delivery state of one consumer group on one topic, per queue (see consumption.ts for the
 * rules that move entries between these structures).
 */
import { AckLog } from "./replay";
import type { StoredMessage } from "./store";

export interface Entry {
  topic: string;
  queueId: number;
  offset: number;
  /** Attempt number of the current delivery (inflight) or of the next one (ready). */
  attempt: number;
  seq: number;
  clientId?: string;
  autoRenew: boolean;
  visibleAtMs: number;
}

export interface Delivery {
  msg: StoredMessage;
  entry: Entry;
  receipt: string;
}

export interface ReceiveQuery {
  group: string;
  topic: string;
  /** -1: any queue (pop mode); otherwise only this queue (v4 assignment). */
  queueId: number;
  batch: number;
  filter: (msg: StoredMessage) => boolean;
  clientId?: string;
  autoRenew: boolean;
  invisibleMs: number;
}

export interface GroupTopicStats {
  /** ReceiveMessage calls that handed out at least one message. */
  receives: number;
  delivered: number;
  acked: number;
  redelivered: number;
  nacked: number;
  dlq: number;
  replayed: number;
  ackDropped: number;
  inflight: number;
  ready: number;
  /** Messages not yet delivered to this group. */
  backlog: number;
}

export class QueueState {
  /** First message never delivered to the group. */
  nextOffset: number;
  /** Delivered, not acked, invisible until visibleAtMs (Infinity while auto-renewed). */
  readonly inflight = new Map<number, Entry>();
  /** Visible again: delivered before new messages. */
  readonly ready = new Map<number, Entry>();
  /** v4 mode: recent acks, replayed when the queue moves (replay.ts). */
  readonly acks = new AckLog();

  constructor(startOffset: number) {
    this.nextOffset = startOffset;
  }
}

export class Subscription {
  readonly queues: QueueState[];
  readonly stats = { receives: 0, delivered: 0, acked: 0, redelivered: 0, nacked: 0, dlq: 0, replayed: 0, ackDropped: 0 };
  /** v4 mode: which client owned each queue at the last assignment. */
  owners: (string | undefined)[] = [];
  /** v4 mode: the queues each client was last told to consume. */
  readonly told = new Map<string, number[]>();
  rotation = 0;

  constructor(startOffsets: number[]) {
    this.queues = startOffsets.map((o) => new QueueState(o));
  }
}
