/** Workers of one group (idx_worker_group_state): live ones first, then the recently gone. */
import { prisma } from "../db/prisma";
import { liveSince } from "./getStuckSummary";
import { parseStringList } from "./json";

export interface GroupWorker {
  id: string;
  topic: string;
  host: string;
  pid: number;
  clientId: string;
  mode: string;
  state: string;
  /** state is live and the heartbeat is recent. */
  alive: boolean;
  queues: string[];
  inflight: number;
  startedAt: Date;
  heartbeatAt: Date;
  heartbeatAgeS: number;
  stoppedAt: Date | null;
}

export async function listGroupWorkers(group: string, since: Date, now = new Date(), limit = 100): Promise<GroupWorker[]> {
  const rows = await prisma().workerInstance.findMany({
    where: { consumerGroup: group, OR: [{ state: "live" }, { heartbeatAt: { gte: since } }] },
    orderBy: [{ heartbeatAt: "desc" }],
    take: limit,
  });
  const aliveSince = liveSince(now);
  const workers = rows.map((w) => ({
    id: w.id,
    topic: w.topic,
    host: w.host,
    pid: w.pid,
    clientId: w.clientId,
    mode: w.mode,
    state: w.state,
    alive: w.state === "live" && w.heartbeatAt >= aliveSince,
    queues: parseStringList(w.queues),
    inflight: w.inflight,
    startedAt: w.startedAt,
    heartbeatAt: w.heartbeatAt,
    heartbeatAgeS: Math.max(0, Math.round((now.getTime() - w.heartbeatAt.getTime()) / 1000)),
    stoppedAt: w.stoppedAt,
  }));
  return workers.sort((a, b) => Number(b.alive) - Number(a.alive));
}
