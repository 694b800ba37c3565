/** Dev broker settings. Every timeout is in seconds and can go down to ~1 s for tests. */

export interface RetryBackoff {
  /** Max delivery attempts; the broker moves the message to %DLQ%<group> after the last one. */
  maxAttempts: number;
  /** Exponential backoff the consumer uses to nack (ChangeInvisibleDuration). Whole seconds: the client drops nanos. */
  initialS: number;
  maxS: number;
  multiplier: number;
}

export interface DevBrokerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to bind and to advertise in routes when the client did not say how it reached us. */
  host: string;
  /** Queues per topic (RocketMQ default is 8 on a broker; 4 keeps v4 demos readable). */
  queues: number;
  /**
   * Topics created at start, "name" or "name:TYPE" (NORMAL, FIFO, DELAY, TRANSACTION, MIXED; no
   * type = NORMAL). Others are created on first use, NORMAL, unless autoCreateTopics is false.
   */
  topics: string[];
  autoCreateTopics: boolean;
  /** The proxy's topic message type check (enableTopicMessageTypeCheck; on by default, as there). */
  validateMessageType: boolean;
  /** Consumer groups known from the start; with autoCreateGroups false (the broker's autoCreateSubscriptionGroup) only these may receive. */
  groups: string[];
  autoCreateGroups: boolean;
  /** Smallest invisible time a receive may ask for (the proxy's minInvisibleTimeMillsForRecv is 10 s; 0 here so tests can use short times). */
  minInvisibleS: number;
  /** Access keys; when any are given every call must carry a valid request signature (auth.ts). */
  acl: { accessKey: string; secretKey: string }[];
  /** A client with no open stream and no call for this long is gone: its auto-renewed messages return. */
  heartbeatTimeoutS: number;
  /** A client with an open stream but no call at all for this long is also gone (half-open connection). */
  idleTimeoutS: number;
  /** Retry policy of groups that have none of their own. */
  maxAttemptsDefault: number;
  backoff: Omit<RetryBackoff, "maxAttempts">;
  /** Share of acks answered OK but not applied (→ redelivery after the invisible duration). */
  dropAckRatio: number;
  /** RocketMQ 4 style assignment: real queues spread across the live clients of a group. */
  v4Mode: boolean;
  /** v4 mode: messages acked on a queue in the last N seconds are replayed when the queue moves. */
  replayWindowS: number;
  /** Longest long poll; also the long_polling_timeout handed to push consumers in their settings. */
  longPollingTimeoutS: number;
  receiveBatchSize: number;
  /** Invisible time of an auto-renewed message whose ack was dropped (the proxy's renew period). */
  renewInvisibleS: number;
  /** Retention: oldest messages of a queue are dropped beyond this count (as disk retention would). */
  maxMessagesPerQueue: number;
  /** How often invisible messages are revived and dead clients collected. */
  sweepIntervalMs: number;
  brokerName: string;
  /** Optional structured logger (pino-compatible subset). */
  logger?: BrokerLogger;
}

export interface BrokerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const defaultOptions: DevBrokerOptions = {
  port: 8081,
  host: "127.0.0.1",
  queues: 4,
  topics: [],
  autoCreateTopics: true,
  validateMessageType: true,
  groups: [],
  autoCreateGroups: true,
  minInvisibleS: 0,
  acl: [],
  heartbeatTimeoutS: 15,
  idleTimeoutS: 45,
  maxAttemptsDefault: 16,
  backoff: { initialS: 1, maxS: 60, multiplier: 2 },
  dropAckRatio: 0,
  v4Mode: false,
  replayWindowS: 30,
  longPollingTimeoutS: 20,
  receiveBatchSize: 32,
  renewInvisibleS: 30,
  maxMessagesPerQueue: 100_000,
  sweepIntervalMs: 200,
  brokerName: "dev-broker-a",
};

export function resolveOptions(partial: Partial<DevBrokerOptions>): DevBrokerOptions {
  const o: DevBrokerOptions = { ...defaultOptions, ...stripUndefined(partial), backoff: { ...defaultOptions.backoff, ...partial.backoff } };
  if (!Number.isInteger(o.queues) || o.queues < 1 || o.queues > 64) throw new RangeError("queues must be an integer 1..64");
  if (!(o.dropAckRatio >= 0 && o.dropAckRatio <= 1)) throw new RangeError("dropAckRatio must be within 0..1");
  if (!(o.heartbeatTimeoutS > 0)) throw new RangeError("heartbeatTimeoutS must be > 0");
  if (!Number.isInteger(o.maxAttemptsDefault) || o.maxAttemptsDefault < 1) throw new RangeError("maxAttemptsDefault must be a positive integer");
  if (!(o.minInvisibleS >= 0)) throw new RangeError("minInvisibleS must be >= 0");
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
