/**
 * Topic message types: every topic accepts one kind of message (the `message.type` attribute of a
 * RocketMQ 5 topic; MIXED accepts all), routes tell the client which, and with the check on
 * (ProxyConfig.enableTopicMessageTypeCheck, default true) a send of another kind is refused.
 */
import type { MessageType as PbMessageType } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";
import type { Problem } from "./validate";
import { Code, def } from "./proto";

export const TOPIC_TYPES = ["NORMAL", "FIFO", "DELAY", "TRANSACTION", "MIXED"] as const;
export type TopicType = (typeof TOPIC_TYPES)[number];

/** "orders" or "orders:FIFO" (what --topics and options.topics take); no type → NORMAL, as TopicConfig. */
export function parseTopicSpec(spec: string): { name: string; type: TopicType } {
  const [name, rawType] = spec.split(":").map((s) => s.trim());
  if (rawType === undefined || rawType === "") return { name, type: "NORMAL" };
  const type = rawType.toUpperCase();
  if (!(TOPIC_TYPES as readonly string[]).includes(type)) throw new RangeError(`topic ${name}: message type must be one of ${TOPIC_TYPES.join(", ")}, got ${rawType}`);
  return { name, type: type as TopicType };
}

const ALL = [def.MessageType.NORMAL, def.MessageType.FIFO, def.MessageType.DELAY, def.MessageType.TRANSACTION];

/** RouteActivity.parseTopicMessageType. */
export function acceptedTypes(type: TopicType): PbMessageType[] {
  return type === "MIXED" ? ALL : [def.MessageType[type]];
}

/** TopicMessageType.parseFromMessageProperty: what the proxy thinks a sent message is. */
export function sentMessageType(m: { messageType: number; deliverAtMs?: number; messageGroup?: string }): Exclude<TopicType, "MIXED"> {
  if (m.messageType === def.MessageType.TRANSACTION) return "TRANSACTION";
  if (m.deliverAtMs !== undefined) return "DELAY";
  if (m.messageGroup) return "FIFO";
  return "NORMAL";
}

/**
 * DefaultTopicMessageTypeValidator, surfaced as the proxy does: a ProxyException wrapped in a
 * GrpcProxyException, whose message is the inner exception's toString(). An unknown topic has
 * type UNSPECIFIED (ClusterMetadataService) and refuses everything.
 */
export function checkTopicType(topicType: TopicType | "UNSPECIFIED", sent: Exclude<TopicType, "MIXED">): Problem | undefined {
  if (topicType === sent || topicType === "MIXED") return undefined;
  return {
    code: Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
    message: `org.apache.rocketmq.proxy.common.ProxyException: TopicMessageType validate failed, the expected type is ${topicType}, but actual type is ${sent}`,
  };
}
