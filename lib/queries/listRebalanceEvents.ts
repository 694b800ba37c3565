/** Rebalances of one group inside a window (idx_rebalance_group_ts), for the chart markers. */
import { prisma } from "../db/prisma";

export interface RebalanceMarker {
  id: string;
  ts: Date;
  kind: string;
  workerId: string;
  membersBefore: string[];
  membersAfter: string[];
}

function parseList(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

export async function listRebalanceEvents(group: string, from: Date, limit = 200): Promise<RebalanceMarker[]> {
  const rows = await prisma().rebalanceEvent.findMany({
    where: { consumerGroup: group, ts: { gte: from } },
    orderBy: { ts: "desc" },
    take: limit,
  });
  return rows.reverse().map((r) => ({
    id: r.id.toString(),
    ts: r.ts,
    kind: r.kind,
    workerId: r.workerId,
    membersBefore: parseList(r.membersBefore),
    membersAfter: parseList(r.membersAfter),
  }));
}
