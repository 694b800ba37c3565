/** Lifetime counters per group and topic (group_totals): what `dedup-audit status` reports first. */
import type mysql from "mysql2/promise";
import type { Db } from "./common.js";

export interface GroupTotalsRow {
  group: string;
  topic: string;
  consumed: number;
  commits: number;
  duplicates: { producer_resend: number; rebalance_replay: number; redelivery: number; unknown: number };
  payloadMismatches: number;
  rejected: number;
  updatedAt: Date;
}

export async function readGroupTotals(db: Db, group?: string): Promise<GroupTotalsRow[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT consumer_group, topic, consumed, commits, dup_producer_resend, dup_rebalance_replay, dup_redelivery, dup_unknown,
            payload_mismatches, rejected, updated_at
       FROM group_totals ${group === undefined ? "" : "WHERE consumer_group = ?"} ORDER BY consumer_group, topic`,
    group === undefined ? [] : [group],
  );
  return rows.map((r) => ({
    group: String(r.consumer_group),
    topic: String(r.topic),
    consumed: Number(r.consumed),
    commits: Number(r.commits),
    duplicates: {
      producer_resend: Number(r.dup_producer_resend),
      rebalance_replay: Number(r.dup_rebalance_replay),
      redelivery: Number(r.dup_redelivery),
      unknown: Number(r.dup_unknown),
    },
    payloadMismatches: Number(r.payload_mismatches),
    rejected: Number(r.rejected),
    updatedAt: r.updated_at as Date,
  }));
}
