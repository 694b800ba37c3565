/**
 * Receipt handles: opaque to clients, but they must identify one delivery of one message, so
 * an ack for an older delivery (the message already came back) is rejected as a real proxy does
 * (INVALID_RECEIPT_HANDLE). The epoch makes handles from a previous broker run invalid too.
 */
import { randomBytes } from "node:crypto";

export interface Receipt {
  queueId: number;
  offset: number;
  seq: number;
}

const epoch = randomBytes(3).toString("hex");
let nextSeq = 1;

export function nextDeliverySeq(): number {
  return nextSeq++;
}

export function encodeReceipt(r: Receipt): string {
  return `${epoch}.${r.queueId}.${r.offset.toString(36)}.${r.seq.toString(36)}`;
}

/**
 * Parse a handle; undefined for anything malformed or from another broker run. Read character
 * by character (every ack decodes one): no split() array and part strings per ack.
 */
export function decodeReceipt(handle: string): Receipt | undefined {
  if (typeof handle !== "string" || handle.length > 64 || !handle.startsWith(prefix)) return undefined;
  const queueId = readNumber(handle, prefix.length, 10);
  const offset = queueId && readNumber(handle, queueId.end + 1, 36);
  const seq = offset && readNumber(handle, offset.end + 1, 36);
  if (!seq || handle.charCodeAt(queueId.end) !== DOT || handle.charCodeAt(offset.end) !== DOT || seq.end !== handle.length) return undefined;
  return { queueId: queueId.value, offset: offset.value, seq: seq.value };
}

const prefix = `${epoch}.`;
const DOT = 46;

/** Digits of `radix` (10 or 36, lower case as toString writes them) from `start`; at least one. */
function readNumber(s: string, start: number, radix: number): { value: number; end: number } | undefined {
  let value = 0;
  let i = start;
  for (; i < s.length; i++) {
    const digit = digitOf(s.charCodeAt(i));
    if (digit < 0 || digit >= radix) break;
    value = value * radix + digit;
  }
  return i > start && Number.isSafeInteger(value) ? { value, end: i } : undefined;
}

function digitOf(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 122) return c - 87; // a-z
  return -1;
}
