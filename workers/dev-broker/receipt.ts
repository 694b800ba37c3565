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

/** Parse a handle; undefined for anything malformed or from another broker run. */
export function decodeReceipt(handle: string): Receipt | undefined {
  if (typeof handle !== "string" || handle.length > 64) return undefined;
  const parts = handle.split(".");
  if (parts.length !== 4 || parts[0] !== epoch) return undefined;
  const queueId = Number(parts[1]);
  const offset = parseInt(parts[2], 36);
  const seq = parseInt(parts[3], 36);
  if (!Number.isInteger(queueId) || queueId < 0 || !Number.isSafeInteger(offset) || !Number.isSafeInteger(seq)) return undefined;
  return { queueId, offset, seq };
}
