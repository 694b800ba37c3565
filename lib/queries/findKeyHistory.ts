/**
 * Key explorer: everything known about one dedup key (or the key(s) behind a msgId), per
 * (group, topic, tag): the claim row and, in order, every event and operator action.
 * Lookups: uq_claim_key (key first), idx_claim_first_msg, idx_event_msg, idx_event_group_key_ts
 * (one range per known group), operator actions by group.
 */
import { prisma } from "../db/prisma";
import type { DedupClaim } from "../generated/prisma/client";
import { identityGivenByCaller } from "../operator/audit";
import { viewKey, type KeyView } from "./keys";
import { viewEvent, type EventView } from "./listRecentEvents";

export type KeyQuery = { key: Uint8Array<ArrayBuffer>; group?: string } | { msgId: string; group?: string };

export interface ClaimView {
  id: string;
  fence: string;
  state: string;
  owner: string;
  keySource: string;
  attempts: number;
  firstMsgId: string;
  lastMsgId: string;
  queue: string;
  claimedAt: Date;
  leaseUntil: Date | null;
  doneAt: Date | null;
  expireAt: Date | null;
  /** CLAIMED with the lease run out: the stuck-claims page can release it. */
  stuck: boolean;
}

export type TimelineEntry =
  | { type: "claimed"; ts: Date; owner: string; msgId: string }
  | { type: "done"; ts: Date; owner: string }
  | ({ type: "event" } & EventView)
  | { type: "action"; id: string; ts: Date; actor: string; action: string; reason: string; result: string; fenceSeen: string | null; detail: string | null; identityUnverified: boolean };

export interface KeyHistory extends KeyView {
  consumerGroup: string;
  topic: string;
  tag: string;
  claim: ClaimView | null;
  timeline: TimelineEntry[];
}

const MAX_GROUPS = 200;
const MAX_EVENTS = 500;

type Target = { key: Uint8Array<ArrayBuffer>; groups: string[] };

async function targetsFor(q: KeyQuery): Promise<Target[]> {
  if ("key" in q) {
    if (q.group) return [{ key: q.key, groups: [q.group] }];
    const [totals, claims] = await Promise.all([
      prisma().groupTotals.findMany({ select: { consumerGroup: true }, distinct: ["consumerGroup"], take: MAX_GROUPS }),
      prisma().dedupClaim.findMany({ where: { dedupKey: q.key }, select: { consumerGroup: true }, take: MAX_GROUPS }),
    ]);
    return [{ key: q.key, groups: [...new Set([...totals, ...claims].map((r) => r.consumerGroup))] }];
  }
  const group = q.group ? { consumerGroup: q.group } : {};
  const [events, claims] = await Promise.all([
    prisma().dedupEvent.findMany({ where: { msgId: q.msgId, ...group }, select: { consumerGroup: true, dedupKey: true }, take: MAX_EVENTS }),
    prisma().dedupClaim.findMany({ where: { firstMsgId: q.msgId, ...group }, select: { consumerGroup: true, dedupKey: true }, take: MAX_GROUPS }),
  ]);
  const byKey = new Map<string, Target>();
  for (const r of [...events, ...claims]) {
    const hex = Buffer.from(r.dedupKey).toString("hex");
    const t = byKey.get(hex) ?? { key: new Uint8Array(r.dedupKey), groups: [] };
    if (!t.groups.includes(r.consumerGroup)) t.groups.push(r.consumerGroup);
    byKey.set(hex, t);
  }
  return [...byKey.values()];
}

function viewClaim(c: DedupClaim, now: Date): ClaimView {
  return {
    id: c.id.toString(),
    fence: c.fence.toString(),
    state: c.state,
    owner: c.owner,
    keySource: c.keySource,
    attempts: c.attempts,
    firstMsgId: c.firstMsgId,
    lastMsgId: c.lastMsgId,
    queue: c.queue,
    claimedAt: c.claimedAt,
    leaseUntil: c.leaseUntil,
    doneAt: c.doneAt,
    expireAt: c.expireAt,
    stuck: c.state === "CLAIMED" && c.leaseUntil !== null && c.leaseUntil < now,
  };
}

async function historiesFor(t: Target, now: Date): Promise<KeyHistory[]> {
  if (t.groups.length === 0) return [];
  const where = { dedupKey: t.key, consumerGroup: { in: t.groups } };
  const [claims, events, actions] = await Promise.all([
    prisma().dedupClaim.findMany({ where }),
    prisma().dedupEvent.findMany({ where, orderBy: [{ ts: "asc" }, { id: "asc" }], take: MAX_EVENTS }),
    prisma().operatorAction.findMany({ where, orderBy: [{ ts: "asc" }, { id: "asc" }], take: MAX_EVENTS }),
  ]);
  const histories = new Map<string, KeyHistory>();
  const historyOf = (group: string, topic: string | null, tag: string | null) => {
    const id = JSON.stringify([group, topic ?? "", tag ?? ""]);
    let h = histories.get(id);
    if (!h) histories.set(id, (h = { consumerGroup: group, topic: topic ?? "", tag: tag ?? "", ...viewKey(t.key), claim: null, timeline: [] }));
    return h;
  };
  for (const c of claims) {
    const h = historyOf(c.consumerGroup, c.topic, c.tag);
    h.claim = viewClaim(c, now);
    h.timeline.push({ type: "claimed", ts: c.claimedAt, owner: c.owner, msgId: c.firstMsgId });
    if (c.doneAt) h.timeline.push({ type: "done", ts: c.doneAt, owner: c.owner });
  }
  for (const e of events) historyOf(e.consumerGroup, e.topic, e.tag).timeline.push({ type: "event", ...viewEvent(e) });
  for (const a of actions) {
    historyOf(a.consumerGroup ?? "", a.topic, a.tag).timeline.push({
      type: "action",
      id: a.id.toString(),
      ts: a.ts,
      actor: a.actor,
      action: a.action,
      reason: a.reason,
      result: a.result,
      fenceSeen: a.fenceSeen === null ? null : a.fenceSeen.toString(),
      detail: a.detail,
      identityUnverified: identityGivenByCaller(a.detail),
    });
  }
  // Stable: entries with equal timestamps keep their insertion order (claim, events, actions).
  for (const h of histories.values()) h.timeline.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  return [...histories.values()];
}

export async function findKeyHistory(q: KeyQuery, now = new Date()): Promise<KeyHistory[]> {
  const targets = await targetsFor(q);
  const all = (await Promise.all(targets.map((t) => historiesFor(t, now)))).flat();
  return all.sort((a, b) => a.consumerGroup.localeCompare(b.consumerGroup) || a.topic.localeCompare(b.topic) || a.tag.localeCompare(b.tag));
}
