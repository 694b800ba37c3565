/**
 * The dedup key of a delivery: the message's business key (first of `keys`), else the worker's
 * `keyOf(message)`, else the msgId. Keys are bytes compared byte-exact (`Order-1` ≠ `order-1 `);
 * a key longer than the column (512 bytes) is replaced by a stable `sha256:<hex>`.
 */
import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import type { Delivery, KeyedDelivery, KeySource } from "../types.js";

export const MAX_KEY_BYTES = 512;

export type KeyOf = (message: Delivery) => string | Buffer | undefined | null;

export interface ExtractedKey {
  key: Buffer;
  source: KeySource;
}

/** Bytes of a key as stored: long keys hashed so the unique index stays within InnoDB's limit. */
export function normalizeKey(raw: string | Buffer): Buffer {
  const bytes = typeof raw === "string" ? Buffer.from(raw, "utf8") : raw;
  if (bytes.length <= MAX_KEY_BYTES) return bytes;
  return Buffer.from("sha256:" + createHash("sha256").update(bytes).digest("hex"), "ascii");
}

/** Pick the dedup key and say where it came from. Empty strings count as "no key". */
export function extractKey(message: Delivery, keyOf?: KeyOf): ExtractedKey {
  const first = message.keys.find((k) => k.length > 0);
  if (first !== undefined) return { key: normalizeKey(first), source: "key" };
  if (keyOf) {
    const custom = keyOf(message);
    if (custom !== undefined && custom !== null && custom.length > 0) return { key: normalizeKey(custom), source: "custom" };
  }
  return { key: normalizeKey(message.msgId), source: "msgId" };
}

const oneShot = (crypto as { hash?: (alg: string, data: Buffer, enc: "buffer") => Buffer }).hash;

/** sha256 of the body (32 bytes): a duplicate with a different body is a payload mismatch. */
export function hashPayload(body: Buffer): Buffer {
  // crypto.hash (Node ≥ 20.12) skips the Hash object: this runs once per message on the hot path.
  return oneShot ? oneShot("sha256", body, "buffer") : createHash("sha256").update(body).digest();
}

/** The msg_id columns hold 128 characters (RocketMQ ids are 32–34); longer ids are cut, consistently. */
const MAX_MSG_ID = 128;

export function keyDelivery(message: Delivery, keyOf?: KeyOf): KeyedDelivery {
  const { key, source } = extractKey(message, keyOf);
  const msgId = message.msgId.length > MAX_MSG_ID ? message.msgId.slice(0, MAX_MSG_ID) : message.msgId;
  // Spelled out rather than spread: this runs once per message, and a spread copy measured as
  // much as the payload hash.
  return {
    msgId,
    topic: message.topic,
    tag: message.tag,
    keys: message.keys,
    body: message.body,
    deliveryAttempt: message.deliveryAttempt,
    queue: message.queue,
    properties: message.properties,
    key,
    keySource: source,
    payloadHash: hashPayload(message.body),
  };
}

/** Printable form of a key for logs and events: UTF-8 when it is valid, else base64. */
export function displayKey(key: Buffer): string {
  const text = key.toString("utf8");
  return Buffer.from(text, "utf8").equals(key) ? text : "base64:" + key.toString("base64");
}
