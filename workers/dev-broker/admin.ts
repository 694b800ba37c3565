/** The test/demo control panel of a running dev broker: faults, policies and inspection. */
import type { Broker } from "./broker";
import type { GroupTopicStats } from "./consumption";
import { summarize, type MessageSummary } from "./convert";
import type { DeliveryReason, DeliveryRecord } from "./delivery-truth";
import type { BrokerEvent } from "./events";
import type { RetryBackoff } from "./options";
import type { TopicType } from "./topic-types";

export interface BrokerStats {
  topics: Record<string, { sent: number; stored: number; queues: number }>;
  /** group → topic → counters */
  groups: Record<string, Record<string, GroupTopicStats>>;
  clients: number;
  held: { delayed: number; half: number };
  faults: { dropAckRatio: number; v4Mode: boolean; replayWindowS: number };
}

export interface ClientSummary {
  id: string;
  type: number;
  group?: string;
  topics: string[];
  alive: boolean;
  lastSeenMs: number;
  openCalls: number;
}

export interface DevBrokerAdmin {
  setDropAckRatio(ratio: number): void;
  setV4Mode(on: boolean): void;
  setReplayWindowS(seconds: number): void;
  /** Retry policy (max attempts, backoff) handed to this group's clients from their next settings sync. */
  setGroupPolicy(group: string, policy: Partial<RetryBackoff>): void;
  /** `type`: the message type it accepts (default NORMAL, as a topic created without the attribute). */
  createTopic(name: string, queues?: number, type?: TopicType): void;
  /** Make a consumer group known (matters only with autoCreateGroups off). */
  createGroup(name: string): void;
  /**
   * Corrupt a stored message in transit: its body digest no longer matches, so clients flag every
   * delivery of it `corrupted` (a damaged body on the wire). False when no such message is stored.
   */
  corruptMessage(topic: string, msgId: string): boolean;
  stats(): BrokerStats;
  /** Counters of one group on one topic (zeros when it never consumed). */
  groupStats(group: string, topic: string): GroupTopicStats;
  messages(topic: string): MessageSummary[];
  events<T extends BrokerEvent["type"]>(type?: T): Extract<BrokerEvent, { type: T }>[];
  clients(): ClientSummary[];
  /** v4 mode: owner of each queue and the queues each client was last told (settled when they agree). */
  assignments(group: string, topic: string): { owners: (string | undefined)[]; told: Record<string, number[]> };
  /** Why the broker handed out each delivery to this group, counted by reason (delivery-truth.ts). */
  deliveryTruth(group: string): Record<DeliveryReason, number>;
  /** The same, one record per delivery in order; `complete` is false once the log hit its cap. */
  deliveryLog(group: string): { records: DeliveryRecord[]; complete: boolean };
  /** Run the housekeeping pass now instead of waiting for the timer. */
  sweep(): void;
}

const EMPTY: GroupTopicStats = { receives: 0, delivered: 0, acked: 0, redelivered: 0, nacked: 0, dlq: 0, replayed: 0, ackDropped: 0, inflight: 0, ready: 0, backlog: 0 };

export function createAdmin(broker: Broker): DevBrokerAdmin {
  const admin: DevBrokerAdmin = {
    setDropAckRatio: (ratio) => broker.faults.setDropAckRatio(ratio),
    setV4Mode: (on) => broker.faults.setV4Mode(on),
    setReplayWindowS: (s) => broker.faults.setReplayWindowS(s),
    setGroupPolicy: (group, policy) => {
      if (policy.maxAttempts !== undefined && (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)) {
        throw new RangeError("maxAttempts must be a positive integer");
      }
      broker.groupPolicies.set(group, { ...broker.groupPolicies.get(group), ...policy });
    },
    createTopic: (name, queues, type) => void broker.store.ensureTopic(name, queues, type),
    createGroup: (name) => void broker.groups.add(name),
    corruptMessage: (topic, msgId) => {
      const msg = broker.store.list(topic).find((m) => m.msgId === msgId);
      if (msg) msg.digest = "0".repeat(msg.digest.length);
      return msg !== undefined;
    },
    stats: () => ({
      topics: Object.fromEntries(
        [...broker.store.topics.values()].map((t) => [t.name, { sent: t.sent, stored: t.queues.reduce((n, q) => n + q.messages.length, 0), queues: t.queues.length }]),
      ),
      groups: broker.consumption.stats(),
      clients: broker.registry.list().length,
      held: broker.holding.counts(),
      faults: { dropAckRatio: broker.faults.dropAckRatio, v4Mode: broker.faults.v4Mode, replayWindowS: broker.faults.replayWindowS },
    }),
    groupStats: (group, topic) => broker.consumption.stats()[group]?.[topic] ?? { ...EMPTY },
    messages: (topic) => broker.store.list(topic).map(summarize),
    events: (type) => broker.events.list(type),
    clients: () =>
      broker.registry.list().map((c) => ({
        id: c.id,
        type: c.type,
        group: c.group,
        topics: [...c.topics],
        alive: broker.registry.isAlive(c),
        lastSeenMs: c.lastSeenMs,
        openCalls: c.openCalls,
      })),
    assignments: (group, topic) => broker.consumption.assignments(group, topic),
    deliveryTruth: (group) => broker.truth.counts(group),
    deliveryLog: (group) => broker.truth.log(group),
    sweep: () => broker.sweep(),
  };
  return admin;
}
