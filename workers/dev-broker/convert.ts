/** Stored messages → what admin.messages() shows (the wire forms are in codec.ts). */
import type { StoredMessage } from "./store";

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
