/**
 * Rows as the dedup runtime writes them, for dashboard tests (vitest and Playwright): claims,
 * events and rollups go through the runtime's own SQL (insertClaims, insertEvents, upsertRollups),
 * so a seed can never drift from what workers write; only the times a test needs in the past
 * (claimed, lease run out, event ts) are moved afterwards. Over a mysql2 pool, so it runs in any
 * process without the Prisma client.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Pool } from "@dedup-audit/runtime/db";
import type { DuplicateCause, EventKind } from "@dedup-audit/runtime/vocabulary";
import { insertClaims, insertEvents, upsertRollups } from "@dedup-audit/runtime/testing";

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;
const ago = (s: number) => new Date(Date.now() - s * 1000);

export interface ClaimSeed {
  group: string;
  topic?: string;
  tag?: string;
  key: string | Buffer;
  state?: "CLAIMED" | "DONE";
  owner?: string;
  fence?: number;
  attempts?: number;
  msgId?: string;
  claimedAgoS?: number;
  /** Negative: the lease is still valid for that many seconds. */
  leaseExpiredAgoS?: number;
}

/** Inserts one claim; returns its id and fence as the API shows them (strings). */
export async function seedClaim(pool: Pool, c: ClaimSeed): Promise<{ id: string; fence: string }> {
  const msgId = c.msgId ?? `MSG-${randomBytes(6).toString("hex").toUpperCase()}`;
  const state = c.state ?? "CLAIMED";
  const key = Buffer.isBuffer(c.key) ? c.key : Buffer.from(c.key, "utf8");
  const won = await insertClaims(
    pool,
    { group: c.group, topic: c.topic ?? "orders" },
    [{ tag: c.tag ?? "", key, keySource: "key", msgId, queue: "", payloadHash: createHash("sha256").update(msgId).digest() }],
    { state, owner: c.owner ?? "worker-dead-1", leaseMs: 60_000, retentionMs: 86_400_000, dialect: { returning: false } },
  );
  const id = [...won.values()][0];
  if (id === undefined) throw new Error(`seedClaim: ${c.group}/${String(c.key)} is already claimed`);
  // What the runtime would have written over time: later fences and attempts, and the past.
  await pool.execute(
    `UPDATE dedup_claim SET fence = ?, attempts = ?, claimed_at = ?, lease_until = ?, done_at = ? WHERE id = ?`,
    [c.fence ?? 1, c.attempts ?? 1, ago(c.claimedAgoS ?? 120), state === "DONE" ? null : ago(c.leaseExpiredAgoS ?? 60), state === "DONE" ? ago(60) : null, id],
  );
  return { id: String(id), fence: String(c.fence ?? 1) };
}

export async function seedWorker(pool: Pool, w: { id: string; group: string; topic?: string; alive: boolean; queues?: string[] }): Promise<void> {
  await pool.execute(
    `INSERT INTO worker_instance (id, consumer_group, topic, host, pid, version, client_id, mode, state, queues, inflight, started_at, heartbeat_at, stopped_at)
     VALUES (?, ?, ?, 'host-a', 4242, '0.1.0', ?, 'lease', ?, ?, 0, ?, ?, ?)`,
    [w.id, w.group, w.topic ?? "orders", `client-${w.id}`, w.alive ? "live" : "dead", JSON.stringify(w.queues ?? []), ago(3600), w.alive ? ago(1) : ago(600), w.alive ? null : ago(580)],
  );
}

export interface StatsSeed {
  group: string;
  topic?: string;
  minutesAgo: number;
  consumed: number;
  producerResend?: number;
  rebalanceReplay?: number;
  redelivery?: number;
  unknown?: number;
  manualRedrive?: number;
}

/** One minute of rollup, its hour rollup, and the same counts added to the never-pruned totals, as a worker's flush writes them. */
export async function seedStats(pool: Pool, s: StatsSeed): Promise<void> {
  const minute = new Date(Math.floor((Date.now() - s.minutesAgo * 60_000) / 60_000) * 60_000);
  const hour = new Date(Math.floor(minute.getTime() / 3_600_000) * 3_600_000);
  const counts = {
    consumed: s.consumed,
    claims: s.consumed,
    commits: s.consumed,
    dup_producer_resend: s.producerResend ?? 0,
    dup_rebalance_replay: s.rebalanceReplay ?? 0,
    dup_redelivery: s.redelivery ?? 0,
    dup_unknown: s.unknown ?? 0,
    dup_manual_redrive: s.manualRedrive ?? 0,
  };
  const where = { group: s.group, topic: s.topic ?? "orders" };
  await upsertRollups(pool, { minutes: [{ ...where, minute, counts }], hours: [{ ...where, hour, counts }], totals: [{ ...where, counts }] });
}

export async function seedEvent(
  pool: Pool,
  e: { group: string; topic?: string; key: string; msgId: string; kind: EventKind; cause?: DuplicateCause; outcome?: string; worker?: string; agoS?: number; attempt?: number },
): Promise<void> {
  await insertEvents(pool, { group: e.group, topic: e.topic ?? "orders" }, [
    { kind: e.kind, tag: "", key: Buffer.from(e.key, "utf8"), msgId: e.msgId, cause: e.cause, outcome: e.outcome, worker: e.worker, fence: 1, deliveryAttempt: e.attempt },
  ]);
  // insertEvents stamps the database clock; move the row to when the test says it happened.
  await pool.execute("UPDATE dedup_event SET ts = ? WHERE consumer_group = ? AND msg_id = ? AND kind = ? ORDER BY id DESC LIMIT 1", [ago(e.agoS ?? 30), e.group, e.msgId, e.kind]);
}

/** `lastSeenAgoS`: when the worker was last seen alive (a timeout's last heartbeat); the event's own time otherwise. */
export async function seedRebalance(
  pool: Pool,
  r: { group: string; kind: "join" | "leave" | "timeout"; workerId: string; agoS: number; lastSeenAgoS?: number; before: string[]; after: string[] },
): Promise<void> {
  await pool.execute(
    `INSERT INTO rebalance_event (ts, last_seen_at, consumer_group, kind, worker_id, members_before, members_after) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [ago(r.agoS), ago(r.lastSeenAgoS ?? r.agoS), r.group, r.kind, r.workerId, JSON.stringify(r.before), JSON.stringify(r.after)],
  );
}

/** A group as an incident leaves it: traffic with duplicates of every cause, a worker that died
 * (rebalance), the survivor alive, and `stuck` claims the dead worker still holds. */
export async function seedIncidentGroup(pool: Pool, group: string, stuck = 2): Promise<{ claims: { id: string; fence: string; key: string }[] }> {
  for (let m = 50; m >= 1; m -= 1) {
    await seedStats(pool, {
      group,
      minutesAgo: m,
      consumed: 100 + ((m * 37) % 40),
      producerResend: m % 7 === 0 ? 3 : 0,
      rebalanceReplay: m >= 20 && m <= 24 ? 6 : 0,
      redelivery: m % 5 === 0 ? 2 : 0,
      unknown: m === 33 ? 1 : 0,
    });
  }
  const dead = `${group}-w1`;
  const alive = `${group}-w2`;
  await seedWorker(pool, { id: dead, group, alive: false, queues: ["orders-0", "orders-1"] });
  await seedWorker(pool, { id: alive, group, alive: true, queues: ["orders-2", "orders-3"] });
  await seedRebalance(pool, { group, kind: "join", workerId: alive, agoS: 45 * 60, before: [dead], after: [dead, alive] });
  await seedRebalance(pool, { group, kind: "timeout", workerId: dead, agoS: 24 * 60, before: [dead, alive], after: [alive] });
  const claims = [];
  for (let i = 0; i < stuck; i += 1) {
    const key = `order-${group}-${i}`;
    claims.push({ ...(await seedClaim(pool, { group, key, owner: dead, leaseExpiredAgoS: 300 + i * 60, claimedAgoS: 400 + i * 60 })), key });
    await seedEvent(pool, { group, key, msgId: `MSG-${group}-${i}-B`, kind: "duplicate", cause: "rebalance_replay", outcome: "deferred", worker: alive, agoS: 200, attempt: 2 });
  }
  return { claims };
}
