/**
 * Input checks with the status code and text a RocketMQ 5 proxy answers: GrpcValidator (topic,
 * group, tag, invisible time), SendMessageActivity.buildMessageProperty / validateMessageBodySize
 * (properties, keys, message group, body, delivery time) and client Validators (name rules).
 */
import type { Code as CodeEnum } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";
import type { SentMessage } from "./convert";
import type { StoredMessage } from "./store";
import { Code, def } from "./proto";

export type Problem = { code: CodeEnum; message: string };

const NAME = /^[%|a-zA-Z0-9_-]+$/;
// ProxyConfig defaults.
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_USER_PROPERTY_BYTES = 16 * 1024;
const MAX_USER_PROPERTIES = 128;
const MAX_MESSAGE_GROUP_BYTES = 64;
const MAX_DELAY_MS = 24 * 3600 * 1000;
export const MAX_INVISIBLE_MS = 12 * 3600 * 1000;
const GROUP_MAX_LENGTH = 120;
const TOPIC_MAX_LENGTH = 127;

/** Property keys the broker keeps for itself (MessageConst.STRING_HASH_SET): a producer may not set them. */
export const SYSTEM_PROPERTY_KEYS = new Set([
  "TRACE_ON", "MSG_REGION", "KEYS", "TAGS", "WAIT", "DELAY", "RETRY_TOPIC", "REAL_TOPIC", "REAL_QID", "TRAN_MSG",
  "PGROUP", "MIN_OFFSET", "MAX_OFFSET", "BUYER_ID", "ORIGIN_MESSAGE_ID", "TRANSFER_FLAG", "CORRECTION_FLAG",
  "MQ2_FLAG", "RECONSUME_TIME", "UNIQ_KEY", "MAX_RECONSUME_TIMES", "CONSUME_START_TIME", "POP_CK", "POP_CK_OFFSET",
  "1ST_POP_TIME", "TRAN_PREPARED_QUEUE_OFFSET", "DUP_INFO", "EXTEND_UNIQ_INFO", "INSTANCE_ID", "CORRELATION_ID",
  "REPLY_TO_CLIENT", "TTL", "ARRIVE_TIME", "PUSH_REPLY_TIME", "CLUSTER", "MSG_TYPE", "INNER_MULTI_QUEUE_OFFSET",
  "TIMER_DELAY_MS", "TIMER_DELAY_SEC", "TIMER_DELIVER_MS", "TIMER_ENQUEUE_MS", "TIMER_DEQUEUE_MS", "TIMER_ROLL_TIMES",
  "TIMER_OUT_MS", "TIMER_DEL_UNIQKEY", "TIMER_DELAY_LEVEL", "__BORNHOST", "BORN_TIMESTAMP", "DLQ_ORIGIN_TOPIC",
  "DLQ_ORIGIN_MESSAGE_ID", "__CRC32#",
]);

const problem = (code: CodeEnum, message: string): Problem => ({ code, message });
const isBlank = (s: string) => s.trim() === "";
const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");
// Guava CharMatcher.javaIsoControl(): U+0000–U+001F and U+007F–U+009F.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Names that passed a check, so the calls every message makes (send, ack) skip the regex. Only
 * valid names are kept, and the set is bounded: a client inventing names cannot grow it.
 */
const validNames = new Set<string>();
function rememberValid(name: string): undefined {
  if (validNames.size < 10_000) validNames.add(name);
  return undefined;
}

export function checkTopic(name: string | undefined): Problem | undefined {
  if (name !== undefined && validNames.has(name) && name.length <= GROUP_MAX_LENGTH) return undefined;
  if (!name || isBlank(name)) return problem(Code.ILLEGAL_TOPIC, "The specified topic is blank");
  if (name.length > TOPIC_MAX_LENGTH) return problem(Code.ILLEGAL_TOPIC, `The specified topic is longer than topic max length ${TOPIC_MAX_LENGTH}.`);
  if (!NAME.test(name)) return problem(Code.ILLEGAL_TOPIC, `The specified topic[${name}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  return rememberValid(name);
}

export function checkGroup(name: string | undefined): Problem | undefined {
  if (name !== undefined && validNames.has(name) && name.length <= GROUP_MAX_LENGTH) return undefined;
  if (!name || isBlank(name)) return problem(Code.ILLEGAL_CONSUMER_GROUP, "the specified group is blank");
  if (name.length > GROUP_MAX_LENGTH) return problem(Code.ILLEGAL_CONSUMER_GROUP, `the specified group[${name}] is longer than group max length: ${GROUP_MAX_LENGTH}.`);
  if (!NAME.test(name)) return problem(Code.ILLEGAL_CONSUMER_GROUP, `the specified group[${name}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  return rememberValid(name);
}

/** GrpcValidator.validateInvisibleTime. */
export function checkInvisibleTime(ms: number, minMs = 0): Problem | undefined {
  if (ms < minMs) return problem(Code.ILLEGAL_INVISIBLE_TIME, `the invisibleTime is too small. min is ${minMs}`);
  if (ms > MAX_INVISIBLE_MS) return problem(Code.ILLEGAL_INVISIBLE_TIME, `the invisibleTime is too large. max is ${MAX_INVISIBLE_MS}`);
  return undefined;
}

/** One sent message, in the order SendMessageActivity.buildMessage checks it. */
export function checkSent(m: SentMessage, now = Date.now()): Problem | undefined {
  if (m.body.length === 0) return problem(Code.MESSAGE_BODY_EMPTY, "message body cannot be empty");
  if (m.body.length > MAX_BODY_BYTES) return problem(Code.MESSAGE_BODY_TOO_LARGE, `message body cannot exceed the max ${MAX_BODY_BYTES}`);
  return checkProperties(m) ?? checkTag(m.tag) ?? checkKeysAndSize(m) ?? checkMessageId(m.msgId) ?? checkDelay(m.deliverAtMs, now) ?? checkMessageGroup(m.messageGroup);
}

function checkProperties(m: SentMessage): Problem | undefined {
  if (m.properties.length > MAX_USER_PROPERTIES) return problem(Code.MESSAGE_PROPERTIES_TOO_LARGE, `too many user properties, max is ${MAX_USER_PROPERTIES}`);
  for (const [key, value] of m.properties) {
    if (SYSTEM_PROPERTY_KEYS.has(key)) return problem(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, `property is used by system: ${key}`);
    if (CONTROL.test(key)) return problem(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, "the key of property cannot contain control character");
    if (CONTROL.test(value)) return problem(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, "the value of property cannot contain control character");
  }
  return undefined;
}

function checkTag(tag: string | undefined): Problem | undefined {
  if (!tag) return undefined;
  if (isBlank(tag)) return problem(Code.ILLEGAL_MESSAGE_TAG, "tag cannot be the char sequence of whitespace");
  if (tag.includes("|")) return problem(Code.ILLEGAL_MESSAGE_TAG, "tag cannot contain '|'");
  if (CONTROL.test(tag)) return problem(Code.ILLEGAL_MESSAGE_TAG, "tag cannot contain control character");
  return undefined;
}

/** Keys, then the user-property budget: properties + tag + keys, in UTF-8 bytes. */
function checkKeysAndSize(m: SentMessage): Problem | undefined {
  let size = utf8Bytes(m.tag ?? "");
  for (const [key, value] of m.properties) size += utf8Bytes(key) + utf8Bytes(value);
  for (const key of m.keys) {
    if (key !== "" && isBlank(key)) return problem(Code.ILLEGAL_MESSAGE_KEY, "key cannot be the char sequence of whitespace");
    if (CONTROL.test(key)) return problem(Code.ILLEGAL_MESSAGE_KEY, "key cannot contain control character");
    size += utf8Bytes(key);
  }
  if (size > MAX_USER_PROPERTY_BYTES) return problem(Code.MESSAGE_PROPERTIES_TOO_LARGE, `the total size of user property is too large, max is ${MAX_USER_PROPERTY_BYTES}`);
  return undefined;
}

function checkMessageId(msgId: string): Problem | undefined {
  return isBlank(msgId) ? problem(Code.ILLEGAL_MESSAGE_ID, "message id cannot be empty") : undefined;
}

function checkDelay(deliverAtMs: number | undefined, now: number): Problem | undefined {
  if (deliverAtMs === undefined || deliverAtMs - now <= MAX_DELAY_MS) return undefined;
  return problem(Code.ILLEGAL_DELIVERY_TIME, `the max delay time of message is too large, max is ${MAX_DELAY_MS}`);
}

function checkMessageGroup(group: string | undefined): Problem | undefined {
  if (!group) return undefined;
  if (isBlank(group)) return problem(Code.ILLEGAL_MESSAGE_GROUP, "message group cannot be the char sequence of whitespace");
  if (utf8Bytes(group) >= MAX_MESSAGE_GROUP_BYTES) return problem(Code.ILLEGAL_MESSAGE_GROUP, `message group exceed the max size ${MAX_MESSAGE_GROUP_BYTES}`);
  if (CONTROL.test(group)) return problem(Code.ILLEGAL_MESSAGE_GROUP, "message group cannot contain control character");
  return undefined;
}

/** TopicRouteService: what a proxy answers for a topic the name server does not know. */
export function topicNotFound(topic: string): Problem {
  return problem(
    Code.TOPIC_NOT_FOUND,
    `CODE: 17  DESC: No topic route info in name server for the topic: ${topic}\nFor more information, please visit the url, https://rocketmq.apache.org/docs/bestPractice/06FAQ`,
  );
}

/** PopMessageProcessor (broker, autoCreateSubscriptionGroup=false) → CONSUMER_GROUP_NOT_FOUND via ResponseBuilder. */
export function groupNotFound(group: string): Problem {
  return problem(Code.CONSUMER_GROUP_NOT_FOUND, `subscription group [${group}] does not exist, \nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.`);
}

/** AbstractProcessor.EXPIRED_HANDLE_PROXY_EXCEPTION, as ResponseBuilder words a ProxyException. */
export const EXPIRED_HANDLE: Problem = {
  code: Code.INVALID_RECEIPT_HANDLE,
  message: "org.apache.rocketmq.proxy.common.ProxyException: receipt handle is expired",
};

/** A subscription filter; TAG expressions only ("*" or "a||b"), as a broker without SQL92 filtering. */
export function parseFilter(expr: { getType(): number; getExpression(): string } | undefined): ((m: StoredMessage) => boolean) | Problem {
  if (!expr) return () => true;
  if (expr.getType() === def.FilterType.SQL) return { code: Code.UNSUPPORTED, message: "SQL92 filtering is not enabled on this broker" };
  const text = expr.getExpression().trim();
  if (text === "" || text === "*") return () => true;
  const tags = new Set(text.split("||").map((t) => t.trim()).filter(Boolean));
  if (tags.size === 0) return { code: Code.ILLEGAL_FILTER_EXPRESSION, message: `illegal tag expression: ${text}` };
  return (m) => m.tag !== undefined && tags.has(m.tag);
}

export function isProblem(x: unknown): x is Problem {
  return typeof x === "object" && x !== null && "code" in x && "message" in x;
}
