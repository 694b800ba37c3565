/** Input checks with the status codes a RocketMQ 5 proxy uses for them. */
import type { Code as CodeEnum } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb";
import type { StoredMessage } from "./store";
import { Code, def } from "./proto";

export type Problem = { code: CodeEnum; message: string };

const NAME = /^[%|a-zA-Z0-9_-]+$/;
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function checkTopic(name: string | undefined): Problem | undefined {
  if (!name) return { code: Code.ILLEGAL_TOPIC, message: "topic is required" };
  if (name.length > 127 || !NAME.test(name)) return { code: Code.ILLEGAL_TOPIC, message: `illegal topic name: ${name.slice(0, 130)}` };
  return undefined;
}

export function checkGroup(name: string | undefined): Problem | undefined {
  if (!name) return { code: Code.ILLEGAL_CONSUMER_GROUP, message: "consumer group is required" };
  if (name.length > 255 || !NAME.test(name)) return { code: Code.ILLEGAL_CONSUMER_GROUP, message: `illegal consumer group: ${name.slice(0, 260)}` };
  return undefined;
}

export function checkSent(m: { body: Uint8Array; tag?: string; keys: string[]; properties: [string, string][] }): Problem | undefined {
  if (m.body.length === 0) return { code: Code.MESSAGE_BODY_EMPTY, message: "message body is empty" };
  if (m.body.length > MAX_BODY_BYTES) return { code: Code.MESSAGE_BODY_TOO_LARGE, message: `message body exceeds ${MAX_BODY_BYTES} bytes` };
  if (m.tag !== undefined && (m.tag.trim() === "" || m.tag.includes("|"))) return { code: Code.ILLEGAL_MESSAGE_TAG, message: "tag must be non-blank and must not contain '|'" };
  if (m.keys.some((k) => k.trim() === "")) return { code: Code.ILLEGAL_MESSAGE_KEY, message: "message keys must be non-blank" };
  if (m.properties.some(([k]) => k === "")) return { code: Code.ILLEGAL_MESSAGE_PROPERTY_KEY, message: "property keys must be non-empty" };
  return undefined;
}

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
