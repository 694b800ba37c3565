/** Shared builders for the dedup tests: deliveries and small DB queries. */
import { randomBytes } from "node:crypto";
import type mysql from "mysql2/promise";
import type { Pool } from "@dedup-audit/runtime/db";
import type { Delivery } from "@dedup-audit/runtime";

let seq = 0;

export function newMsgId(): string {
  return `MSG${Date.now().toString(16)}${(++seq).toString(16).padStart(6, "0")}${randomBytes(3).toString("hex")}`.toUpperCase();
}

export function delivery(p: Partial<Delivery> & { key?: string } = {}): Delivery {
  return {
    msgId: p.msgId ?? newMsgId(),
    topic: p.topic ?? "orders",
    tag: p.tag ?? "",
    keys: p.keys ?? (p.key !== undefined ? [p.key] : []),
    body: p.body ?? Buffer.from(JSON.stringify({ key: p.key ?? null })),
    deliveryAttempt: p.deliveryAttempt ?? 1,
    queue: p.queue ?? "",
  };
}

export async function rows<T = mysql.RowDataPacket>(pool: Pool, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await pool.query<mysql.RowDataPacket[]>(sql, params);
  return r as T[];
}

export async function eventCounts(pool: Pool, group: string): Promise<Record<string, number>> {
  const r = await rows(pool, "SELECT kind, cause, outcome, COUNT(*) AS n FROM dedup_event WHERE consumer_group = ? GROUP BY kind, cause, outcome", [group]);
  return Object.fromEntries(r.map((x) => [[x.kind, x.cause, x.outcome].filter(Boolean).join("/"), Number(x.n)]));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}
