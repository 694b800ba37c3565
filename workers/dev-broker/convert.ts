/**
 * Protocol messages ↔ stored messages: a sent apache.rocketmq.v2.Message as the broker keeps it,
 * a stored one as ReceiveMessage hands it out, and what admin.messages() shows.
 */
import type { Delivery } from "./consumption";
import { def, durationOfMs, msOfTimestamp, resourceOf, timestampOfMs, type PbMessage } from "./proto";
import type { NewMessage, StoredMessage } from "./store";

/** A sent message as the broker reads it; msgId is "" when the client left it out (validate.ts refuses that). */
export type SentMessage = NewMessage & { topic: string; deliverAtMs?: number };

/** The parts of a sent message we keep, with the broker's defaults for absent fields. */
export function fromSent(message: PbMessage): SentMessage {
  const sp = message.getSystemProperties();
  const properties: [string, string][] = [];
  message.getUserPropertiesMap().forEach((value: string, key: string) => properties.push([key, value]));
  return {
    topic: message.getTopic()?.getName() ?? "",
    msgId: sp?.getMessageId() ?? "",
    body: message.getBody_asU8(),
    bodyEncoding: sp?.getBodyEncoding() || def.Encoding.IDENTITY,
    messageType: sp?.getMessageType() || def.MessageType.NORMAL,
    tag: sp?.hasTag() ? sp.getTag() : undefined,
    keys: sp?.getKeysList() ?? [],
    messageGroup: sp?.hasMessageGroup() ? sp.getMessageGroup() : undefined,
    properties,
    bornAtMs: msOfTimestamp(sp?.getBornTimestamp()) ?? Date.now(),
    bornHost: sp?.getBornHost() ?? "",
    deliverAtMs: sp?.hasDeliveryTimestamp() ? msOfTimestamp(sp.getDeliveryTimestamp()) : undefined,
  };
}

/**
 * A message as ReceiveMessage hands it out: everything the client reads, incl. body_digest, and
 * a delayed message's delivery_timestamp (GrpcConverter.buildSystemProperties takes it from the
 * message's timer property).
 */
export function toDelivered(d: Delivery, storeHost: string, invisibleMs: number | undefined): PbMessage {
  const { msg, entry } = d;
  const sp = new def.SystemProperties()
    .setKeysList(msg.keys)
    .setMessageId(msg.msgId)
    .setBodyDigest(new def.Digest().setType(def.DigestType.MD5).setChecksum(msg.digest))
    .setBodyEncoding(msg.bodyEncoding)
    .setMessageType(msg.messageType)
    .setBornTimestamp(timestampOfMs(msg.bornAtMs))
    .setBornHost(msg.bornHost)
    .setStoreTimestamp(timestampOfMs(msg.storedAtMs))
    .setStoreHost(storeHost)
    .setReceiptHandle(d.receipt)
    .setQueueId(msg.queueId)
    .setQueueOffset(msg.offset)
    .setDeliveryAttempt(entry.attempt);
  if (msg.tag !== undefined) sp.setTag(msg.tag);
  if (msg.messageGroup !== undefined) sp.setMessageGroup(msg.messageGroup);
  if (msg.deliverAtMs !== undefined) sp.setDeliveryTimestamp(timestampOfMs(msg.deliverAtMs));
  if (invisibleMs !== undefined) sp.setInvisibleDuration(durationOfMs(invisibleMs));
  if (msg.deadLetter) sp.setDeadLetterQueue(new def.DeadLetterQueue().setTopic(msg.deadLetter.topic).setMessageId(msg.msgId));
  const pb = new def.Message().setTopic(resourceOf(msg.topic)).setBody(msg.body).setSystemProperties(sp);
  const props = pb.getUserPropertiesMap();
  for (const [k, v] of msg.properties) props.set(k, v);
  return pb;
}

/** What admin.messages() shows: plain data, body as UTF-8 text. */
export interface MessageSummary {
  msgId: string;
  topic: string;
  queueId: number;
  offset: number;
  tag?: string;
  keys: string[];
  messageGroup?: string;
  properties: Record<string, string>;
  body: string;
  bornAtMs: number;
  storedAtMs: number;
  deadLetter?: StoredMessage["deadLetter"];
}

export function summarize(m: StoredMessage): MessageSummary {
  return {
    msgId: m.msgId,
    topic: m.topic,
    queueId: m.queueId,
    offset: m.offset,
    tag: m.tag,
    keys: [...m.keys],
    messageGroup: m.messageGroup,
    properties: Object.fromEntries(m.properties),
    body: Buffer.from(m.body).toString("utf8"),
    bornAtMs: m.bornAtMs,
    storedAtMs: m.storedAtMs,
    deadLetter: m.deadLetter,
  };
}
