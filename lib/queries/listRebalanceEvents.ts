/** Rebalances of one group inside a window (idx_rebalance_group_ts), for the chart markers. */
import { prisma } from "../db/prisma";
import { parseStringList } from "./json";

export interface RebalanceMarker {
  id: string;
  ts: Date;
  kind: string;
  workerId: string;
  membersBefore: string[];
  membersAfter: string[];
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
    membersBefore: parseStringList(r.membersBefore),
    membersAfter: parseStringList(r.membersAfter),
  }));
}
