/**
 * What the claim SQL files share: the row and argument types, the (tag, key) map key, the
 * column list every claim read selects, and the fenced WHERE of the batch updates. Every SQL
 * function takes the connection (or open transaction) to run on, so the same call works inside
 * a business transaction, and every value is a placeholder. Times come from the database clock
 * (UTC_TIMESTAMP(3)) so workers with skewed clocks agree on when a lease runs out.
 */
import type mysql from "mysql2/promise";
import type { Conn, Pool } from "../db/pool.js";
import type { KeySource } from "../types.js";

export type Db = Conn | Pool;

export interface Scope {
  group: string;
  topic: string;
}

export interface ClaimInsert {
  tag: string;
  key: Buffer;
  keySource: KeySource;
  msgId: string;
  queue: string;
  payloadHash: Buffer;
}

export interface ClaimRow {
  id: number;
  tag: string;
  key: Buffer;
  state: "CLAIMED" | "DONE";
  owner: string;
  fence: number;
  firstMsgId: string;
  payloadHash: Buffer;
  claimedAt: Date;
  leaseUntil: Date | null;
  /** lease_until is in the past by the database clock. */
  expired: boolean;
}

export interface FencedClaim {
  id: number;
  fence: number;
}

/** Map key for (tag, key) inside one group+topic. */
export function claimRef(tag: string, key: Buffer): string {
  return tag + "\u0000" + key.toString("latin1");
}

/** Keys grouped by tag: each claim read is one `tag = ? AND dedup_key IN (…)` lookup per tag. */
export function keysByTag(refs: { tag: string; key: Buffer }[]): Map<string, Buffer[]> {
  const byTag = new Map<string, Buffer[]>();
  for (const r of refs) {
    const keys = byTag.get(r.tag);
    if (keys) keys.push(r.key);
    else byTag.set(r.tag, [r.key]);
  }
  return byTag;
}

/** The columns of a claim read, in the shape toClaimRow() maps. */
export const CLAIM_COLUMNS =
  "id, tag, dedup_key, state, owner, fence, first_msg_id, payload_hash, claimed_at, lease_until," +
  " (lease_until IS NOT NULL AND lease_until < UTC_TIMESTAMP(3)) AS expired";

export function toClaimRow(r: mysql.RowDataPacket): ClaimRow {
  return {
    id: Number(r.id),
    tag: String(r.tag),
    key: r.dedup_key as Buffer,
    state: r.state as ClaimRow["state"],
    owner: String(r.owner),
    fence: Number(r.fence),
    firstMsgId: String(r.first_msg_id),
    payloadHash: r.payload_hash as Buffer,
    claimedAt: r.claimed_at as Date,
    leaseUntil: (r.lease_until as Date | null) ?? null,
    expired: Number(r.expired) === 1,
  };
}

/**
 * `id IN (…)` drives the primary-key range; the fence is checked per group of claims with the
 * same fence (almost always one group: fence 1). Measured: a 64-row commit takes 10–30 % less
 * than with a 64-tuple `(id, fence) IN (…)` row constructor, which is evaluated for every row.
 */
export function fencedWhere(claims: FencedClaim[]): { sql: string; params: unknown[] } {
  const byFence = new Map<number, number[]>();
  for (const c of claims) {
    const ids = byFence.get(c.fence);
    if (ids) ids.push(c.id);
    else byFence.set(c.fence, [c.id]);
  }
  const groups = [...byFence.entries()];
  return {
    sql: `(${groups.map(() => "(id IN (?) AND fence = ?)").join(" OR ")})`,
    params: groups.flatMap(([fence, ids]) => [ids, fence]),
  };
}

/**
 * After a fenced batch UPDATE changed fewer rows than asked: which of `claims` are (still) in
 * `state` with this owner and fence, in order.
 */
export async function checkFenced(db: Db, owner: string, claims: FencedClaim[], state: ClaimRow["state"]): Promise<boolean[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>("SELECT id, fence, owner, state FROM dedup_claim WHERE id IN (?)", [claims.map((c) => c.id)]);
  const seen = new Map(rows.map((r) => [Number(r.id), r]));
  return claims.map((c) => {
    const r = seen.get(c.id);
    return r !== undefined && Number(r.fence) === c.fence && String(r.owner) === owner && r.state === state;
  });
}
