/**
 * The shapes the dedup runtime passes around. A `Delivery` is one delivery of one message, cut
 * loose from the RocketMQ client so the state machine, the bench and the tests can drive it
 * without a broker.
 */
import type { Conn } from "./db/pool.js";
import type { FailureReason } from "./claim/failure-reason.js";

export type { FailureReason };

export type { DuplicateCause, StatCounter } from "./vocabulary.js";

export type DedupMode = "transactional" | "lease";
export type ExpiredLeasePolicy = "takeover" | "hold";
export type KeySource = "key" | "custom" | "msgId";

export interface Delivery {
  msgId: string;
  topic: string;
  /** '' when the message has no tag. */
  tag: string;
  keys: readonly string[];
  body: Buffer;
  /** 1 for the first delivery; the broker counts up on every redelivery. */
  deliveryAttempt: number;
  /** Broker queue the delivery came from, '' when unknown (RocketMQ 5 pop mode). */
  queue: string;
  properties?: ReadonlyMap<string, string>;
}

/** A delivery with its dedup key worked out (see key.ts). */
export interface KeyedDelivery extends Delivery {
  key: Buffer;
  keySource: KeySource;
  payloadHash: Buffer;
}

export interface HandlerContext {
  key: Buffer;
  keySource: KeySource;
  /** Fencing token of the claim this handler runs under. */
  fence: number;
  /** Aborted when the lease was lost (taken over / released by an operator) or on forced stop. */
  signal: AbortSignal;
}

export interface TransactionalContext extends HandlerContext {
  /** The open transaction: the effect must use it, so claim + effect + DONE commit together. */
  tx: Conn;
}

export type LeaseHandler = (message: KeyedDelivery, ctx: HandlerContext) => Promise<void>;
export type TransactionalHandler = (message: KeyedDelivery, ctx: TransactionalContext) => Promise<void>;

export interface TransactionalBatchContext {
  /** The open transaction: every message's effect must use it (claims + effects + DONE commit together). */
  tx: Conn;
  /** Aborted on forced stop. */
  signal: AbortSignal;
}

/**
 * Transactional mode, many messages per call: the messages of one batch whose keys were new
 * (duplicates are already filtered out), in key order, with the transaction open. Apply all
 * their effects — ideally in one statement — through `ctx.tx`. If it throws, the batch is rolled
 * back and every message runs again alone (a batch of one) under its own savepoint, so only the
 * failing ones are released and redelivered. Fence is always 1 in transactional mode.
 */
export type TransactionalBatchHandler = (messages: KeyedDelivery[], ctx: TransactionalBatchContext) => Promise<void>;

/** What the listener tells the broker: ack, or let it come back (nack / redelivery). */
export type Verdict =
  | { ack: true; outcome: "committed" | "duplicate" | "fail_open" | "committed_fence_lost" | "rejected" }
  | { ack: false; outcome: "released" | "lease_ended" | "deferred" | "stopping" | "error"; reason?: FailureReason };

