/**
 * What a consumer sees of a message, as a RocketMQ 5 proxy + broker build it. The broker keeps
 * everything as string properties; GrpcConverter.buildUserAttributes hands every property that
 * is not in MessageConst.STRING_HASH_SET to the consumer as a user property, and derives the
 * message type from the properties rather than from what the producer said.
 */
import type { SentMessage } from "./convert";
import { def } from "./proto";

/** MessageConst.PROPERTY_SHARDING_KEY: SendMessageActivity stores the message group under it. */
export const SHARDING_KEY = "__SHARDINGKEY";
/** TransactionalMessageUtil.TRANSACTION_ID: TransactionalMessageBridge puts the msgId there on a half message. */
export const TRANSACTION_ID = "__transactionId__";

/**
 * The sent message as the broker stores it: the system-owned properties a consumer will see are
 * added, and keys are joined with spaces and split again (MessageConst.KEY_SEPARATOR), so a key
 * containing a space arrives as two keys.
 */
export function asStored(m: SentMessage): SentMessage {
  if (m.messageGroup) setProperty(m.properties, SHARDING_KEY, m.messageGroup);
  if (m.messageType === def.MessageType.TRANSACTION) setProperty(m.properties, TRANSACTION_ID, m.msgId);
  if (m.keys.some((k) => k.includes(" "))) m.keys = m.keys.join(" ").split(" ");
  m.messageType = typeSeenByConsumers(m);
  return m;
}

/**
 * GrpcConverter.buildSystemProperties: TRANSACTION while the TRAN_MSG flag is set (only on the
 * half message: EndTransactionProcessor clears it on commit), DELAY when a delivery time was
 * given, FIFO with a message group, else NORMAL.
 */
export function typeSeenByConsumers(m: { messageType: number; deliverAtMs?: number; messageGroup?: string }, committed = false): number {
  if (m.messageType === def.MessageType.TRANSACTION && !committed) return def.MessageType.TRANSACTION;
  if (m.deliverAtMs !== undefined) return def.MessageType.DELAY;
  if (m.messageGroup) return def.MessageType.FIFO;
  return def.MessageType.NORMAL;
}

/** The system value wins over a user property of the same name, as a later putProperty does. */
function setProperty(properties: [string, string][], key: string, value: string): void {
  const existing = properties.find(([k]) => k === key);
  if (existing) existing[1] = value;
  else properties.push([key, value]);
}
