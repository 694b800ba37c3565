/**
 * Hand-written codecs for the messages every message passes through: SendMessageRequest and
 * AckMessageRequest in, their responses and the message frames of ReceiveMessage out (wire.ts
 * says why). The service definition handed to grpc-server.ts is the generated one with these
 * swapped in; every other RPC, and every status frame, still goes through google-protobuf.
 * codec.test.ts decodes what these write with the generated classes, and feeds them what the
 * generated classes write.
 */
import type { ServiceDefinition } from "./grpc-server";
import type { Delivery } from "./consumption";
import { def } from "./proto";
import type { NewMessage } from "./store";
import { LEN, WireReader, WireWriter } from "./wire";

/** A sent message as decoded; msgId is "" when the client left it to the broker. */
export type SentMessage = NewMessage & { topic: string; deliverAtMs?: number };

export interface SendRequest {
  messages: SentMessage[];
}

/** A Status as plain data (Code value + text); the validate.ts Problem shape. */
export interface PlainStatus {
  code: number;
  message: string;
}

export interface SendResponse {
  status: PlainStatus;
  entries: { status: PlainStatus; messageId: string; transactionId?: string; offset?: number; recallHandle?: string }[];
}

export interface AckResponse {
  status: PlainStatus;
  entries: { messageId: string; receiptHandle: string; status: PlainStatus }[];
}

export interface AckRequest {
  group?: string;
  topic?: string;
  entries: { messageId: string; receiptHandle: string }[];
}

// ── requests ─────────────────────────────────────────────────────────────────────────────────

export function decodeSendRequest(buf: Uint8Array): SendRequest {
  const r = new WireReader(buf);
  const messages: SentMessage[] = [];
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) messages.push(decodeMessage(r.nested()));
    else r.skip(tag & 7);
  }
  return { messages };
}

/** apache.rocketmq.v2.Message: what we keep, with the broker's defaults for absent fields. */
function decodeMessage(r: WireReader): SentMessage {
  const m: SentMessage = {
    topic: "",
    msgId: "",
    body: new Uint8Array(0),
    bodyEncoding: def.Encoding.IDENTITY,
    messageType: def.MessageType.NORMAL,
    tag: undefined,
    keys: [],
    messageGroup: undefined,
    properties: [],
    bornAtMs: NaN,
    bornHost: "",
    deliverAtMs: undefined,
  };
  let properties: Map<string, string> | undefined; // a repeated map key: the last one wins
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === LEN) m.topic = decodeResourceName(r.nested());
    else if (field === 2 && (tag & 7) === LEN) decodeMapEntry(r.nested(), (properties ??= new Map()));
    else if (field === 3 && (tag & 7) === LEN) decodeSystemProperties(r.nested(), m);
    else if (field === 4 && (tag & 7) === LEN) m.body = r.bytes();
    else r.skip(tag & 7);
  }
  if (properties) for (const entry of properties) m.properties.push(entry);
  if (Number.isNaN(m.bornAtMs)) m.bornAtMs = Date.now();
  return m;
}

function decodeSystemProperties(r: WireReader, m: SentMessage): void {
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (wt === LEN && field === 1) m.tag = r.string();
    else if (wt === LEN && field === 2) m.keys.push(r.string());
    else if (wt === LEN && field === 3) m.msgId = r.string();
    else if (wt === 0 && field === 5) m.bodyEncoding = r.int32() || def.Encoding.IDENTITY;
    else if (wt === 0 && field === 6) m.messageType = r.int32() || def.MessageType.NORMAL;
    else if (wt === LEN && field === 7) m.bornAtMs = decodeTimeMs(r.nested());
    else if (wt === LEN && field === 8) m.bornHost = interned(r.string());
    else if (wt === LEN && field === 11) m.deliverAtMs = decodeTimeMs(r.nested());
    else if (wt === LEN && field === 17) m.messageGroup = r.string();
    else r.skip(wt);
  }
}

/**
 * The first copy of a string seen again and again (a producer's born host): a stored message then
 * keeps that one instead of its own copy, one object less per message for the GC to move.
 * Bounded, so a client inventing hosts cannot grow it.
 */
const internedStrings = new Map<string, string>();
function interned(s: string): string {
  const first = internedStrings.get(s);
  if (first !== undefined) return first;
  if (internedStrings.size < 1024) internedStrings.set(s, s);
  return s;
}

export function decodeAckRequest(buf: Uint8Array): AckRequest {
  const r = new WireReader(buf);
  const req: AckRequest = { entries: [] };
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === LEN) req.group = decodeResourceName(r.nested());
    else if (field === 2 && (tag & 7) === LEN) req.topic = decodeResourceName(r.nested());
    else if (field === 3 && (tag & 7) === LEN) req.entries.push(decodeAckEntry(r.nested()));
    else r.skip(tag & 7);
  }
  return req;
}

function decodeAckEntry(r: WireReader): AckRequest["entries"][number] {
  const entry = { messageId: "", receiptHandle: "" };
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) entry.messageId = r.string();
    else if (tag === ((2 << 3) | LEN)) entry.receiptHandle = r.string();
    else r.skip(tag & 7);
  }
  return entry;
}

/** Resource { resource_namespace = 1; name = 2 }: the name (namespaces are not used). */
function decodeResourceName(r: WireReader): string {
  let name = "";
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((2 << 3) | LEN)) name = r.string();
    else r.skip(tag & 7);
  }
  return name;
}

function decodeMapEntry(r: WireReader, into: Map<string, string>): void {
  let key = "";
  let value = "";
  while (!r.done) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) key = r.string();
    else if (tag === ((2 << 3) | LEN)) value = r.string();
    else r.skip(tag & 7);
  }
  into.set(key, value);
}

/** Timestamp / Duration { seconds = 1; nanos = 2 } in milliseconds, as proto.msOfTimestamp. */
function decodeTimeMs(r: WireReader): number {
  let seconds = 0;
  let nanos = 0;
  while (!r.done) {
    const tag = r.varint();
    if (tag === 1 << 3) seconds = r.int64();
    else if (tag === 2 << 3) nanos = r.int32();
    else r.skip(tag & 7);
  }
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

// ── ReceiveMessage message frames ────────────────────────────────────────────────────────────

/**
 * The frames of one receive, ReceiveMessageResponse { message } per delivery, written into one
 * buffer (one allocation per receive, not per message; grpc-server.ts copies each frame behind
 * its length prefix when it sends it). Every field the client reads (incl. body_digest), with
 * proto3 presence rules — zero scalars omitted, `optional` fields written whenever set — so the
 * client's google-protobuf decodes exactly what the generated classes would have sent.
 */
export function encodeDeliveries(ds: Delivery[], storeHost: string, invisibleMs: number | undefined): Buffer[] {
  let size = 0;
  for (const d of ds) size += d.msg.body.length + 512;
  const w = new WireWriter(size);
  const frames: Buffer[] = [];
  for (const d of ds) {
    const start = w.length;
    writeDelivery(w, d, storeHost, invisibleMs);
    frames.push(w.since(start));
  }
  return frames;
}

function writeDelivery(w: WireWriter, d: Delivery, storeHost: string, invisibleMs: number | undefined): void {
  const { msg, entry } = d;
  w.message(2, (message) => {
    message.message(1, (topic) => topic.string(2, msg.topic));
    for (const [k, v] of msg.properties) message.message(2, (e) => e.string(1, k).string(2, v));
    message.message(3, (system) => {
      if (msg.tag !== undefined) system.string(1, msg.tag);
      for (const k of msg.keys) system.string(2, k);
      if (msg.msgId) system.string(3, msg.msgId);
      system.message(4, (digest) => digest.uint(1, def.DigestType.MD5).string(2, msg.digest));
      if (msg.bodyEncoding) system.uint(5, msg.bodyEncoding);
      if (msg.messageType) system.uint(6, msg.messageType);
      system.time(7, msg.bornAtMs);
      if (msg.bornHost) system.string(8, msg.bornHost);
      system.time(9, msg.storedAtMs);
      if (storeHost) system.string(10, storeHost);
      if (msg.deliverAtMs !== undefined) system.time(11, msg.deliverAtMs);
      system.string(12, d.receipt);
      if (msg.queueId) system.uint(13, msg.queueId);
      system.uint(14, msg.offset);
      if (invisibleMs !== undefined) system.time(15, invisibleMs);
      system.uint(16, entry.attempt);
      if (msg.messageGroup !== undefined) system.string(17, msg.messageGroup);
      const dlq = msg.deadLetter;
      if (dlq) system.message(20, (q) => q.string(1, dlq.topic).string(2, msg.msgId));
    });
    if (msg.body.length > 0) message.bytes(4, msg.body);
  });
}

// ── SendMessage / AckMessage responses ───────────────────────────────────────────────────────

/** Status { code = 1; message = 2 } of the OK answer, encoded once: nearly every answer carries it. */
const OK_STATUS = new WireWriter(16).uint(1, def.Code.OK).string(2, "OK").finish();

function writeStatus(w: WireWriter, field: number, status: PlainStatus): void {
  if (status.code === def.Code.OK && status.message === "OK") {
    w.tag(field, LEN).varint(OK_STATUS.length).raw(OK_STATUS);
    return;
  }
  w.message(field, (st) => {
    if (status.code) st.uint(1, status.code);
    if (status.message) st.string(2, status.message);
  });
}

/** `w`: where to write (the service definition passes its scratch writer; see withHotCodecs). */
export function encodeSendResponse(res: SendResponse, w = new WireWriter(64 + 96 * res.entries.length)): Buffer {
  writeStatus(w, 1, res.status);
  for (const e of res.entries) {
    w.message(2, (entry) => {
      writeStatus(entry, 1, e.status);
      if (e.messageId) entry.string(2, e.messageId);
      if (e.transactionId) entry.string(3, e.transactionId);
      if (e.offset) entry.uint(4, e.offset);
      if (e.recallHandle) entry.string(5, e.recallHandle);
    });
  }
  return w.finish();
}

export function encodeAckResponse(res: AckResponse, w = new WireWriter(64 + 96 * res.entries.length)): Buffer {
  writeStatus(w, 1, res.status);
  for (const e of res.entries) {
    w.message(2, (entry) => {
      if (e.messageId) entry.string(1, e.messageId);
      if (e.receiptHandle) entry.string(2, e.receiptHandle);
      writeStatus(entry, 3, e.status);
    });
  }
  return w.finish();
}

// ── service definition ───────────────────────────────────────────────────────────────────────

type Generated = { serializeBinary(): Uint8Array };

function isGenerated(value: unknown): value is Generated {
  return typeof (value as Partial<Generated>).serializeBinary === "function";
}

/**
 * Responses are generated messages (status frames, unary() fallbacks), bytes encodeDeliveries
 * already wrote, or plain data for `encode`.
 */
function responseSerializer<T>(encode?: (value: T) => Buffer) {
  return (value: Buffer | Generated | T): Buffer => {
    if (Buffer.isBuffer(value)) return value;
    if (isGenerated(value)) {
      const bytes = value.serializeBinary();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    if (!encode) throw new TypeError("no encoder for this response");
    return encode(value);
  };
}

/**
 * One writer for every unary answer of the hot codecs: grpc-server.ts serializes a unary answer
 * synchronously and copies it behind its length prefix (frameOf) before anything else runs, so
 * these bytes are never read after the serializer returns. Grows to the largest answer seen and stays there.
 */
const scratch = new WireWriter(1024);

/** The generated MessagingService definition with the hot codecs swapped in. */
export function withHotCodecs<S extends ServiceDefinition>(service: S): S {
  type Method = ServiceDefinition[string];
  const out: Record<string, Method> = { ...service };
  const swap = (name: string, responseSerialize: Method["responseSerialize"], requestDeserialize?: Method["requestDeserialize"]) => {
    out[name] = { ...out[name], responseSerialize, ...(requestDeserialize ? { requestDeserialize } : {}) };
  };
  swap("sendMessage", responseSerializer((res: SendResponse) => encodeSendResponse(res, scratch.reset())), decodeSendRequest);
  swap("ackMessage", responseSerializer((res: AckResponse) => encodeAckResponse(res, scratch.reset())), decodeAckRequest);
  swap("receiveMessage", responseSerializer());
  return out as unknown as S;
}
