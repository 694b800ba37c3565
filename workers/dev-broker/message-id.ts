/**
 * Message ids for messages sent without one, in the client's own V1 layout
 * (version, 6-byte host id, 2-byte pid, 4-byte seconds since 2021, 4-byte sequence) so they look
 * like any other RocketMQ 5 id in logs and the dashboard.
 */
import { randomBytes } from "node:crypto";

const host = randomBytes(6);
const since2021 = Date.UTC(2021, 0, 1) / 1000;
let sequence = 0;

export function newMessageId(): string {
  const buf = Buffer.alloc(17);
  buf.writeUInt8(1, 0);
  host.copy(buf, 1);
  buf.writeUInt16BE(process.pid % 0xffff, 7);
  buf.writeUInt32BE(Math.floor(Date.now() / 1000 - since2021) >>> 0, 9);
  buf.writeUInt32BE(sequence, 13);
  sequence = (sequence + 1) >>> 0;
  return buf.toString("hex").toUpperCase();
}
