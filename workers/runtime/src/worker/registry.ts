/**
 * The worker registry: every worker process registers, heart-beats and deregisters in
 * worker_instance, and every join, clean leave and heartbeat timeout is written as a
 * rebalance_event of its group with the members before and after, and when the worker was last
 * seen alive (a timeout's last heartbeat, not the moment it was noticed). Rebalances are taken from
 * here, not from the broker: a RocketMQ 5 proxy gives every push consumer of a group the same
 * pop assignment, so the client never sees a queue move. Each statement is in src/sql/.
 */
import type { Pool } from "../db/pool.js";
import { insertRebalanceEvent, listLiveMembers, markWorkerDead, markWorkerLeft, findStaleWorkers, upsertLiveWorker, type WorkerInfo } from "../sql/index.js";

export type { WorkerInfo };
export type { RebalanceKind } from "../sql/index.js";

/** Register this worker as live and record the join. Safe to call again after being declared dead. */
export async function registerWorker(pool: Pool, w: WorkerInfo, queues: string[] = []): Promise<void> {
  await upsertLiveWorker(pool, w, queues);
  const after = await listLiveMembers(pool, w.group);
  await insertRebalanceEvent(pool, w.group, "join", w.id, after.map((m) => m.id).filter((id) => id !== w.id), after);
}

/** Clean leave: state left, stopped_at now, and a leave event. */
export async function deregisterWorker(pool: Pool, w: Pick<WorkerInfo, "id" | "group">): Promise<void> {
  if (!(await markWorkerLeft(pool, w.id))) return;
  const after = await listLiveMembers(pool, w.group);
  await insertRebalanceEvent(pool, w.group, "leave", w.id, [...after.map((m) => m.id), w.id].sort(), after);
}

/**
 * Find live workers of the group whose heartbeat is older than `timeoutMs` and declare them dead.
 * Every worker runs this; the conditional UPDATE lets exactly one of them win per dead worker, and
 * only the winner writes the timeout event. Returns the ids this call declared dead.
 */
export async function detectWorkerTimeouts(pool: Pool, group: string, timeoutMs: number): Promise<string[]> {
  const declared: string[] = [];
  for (const id of await findStaleWorkers(pool, group, timeoutMs)) {
    if (!(await markWorkerDead(pool, id, timeoutMs))) continue; // another worker got there first
    const after = await listLiveMembers(pool, group);
    await insertRebalanceEvent(pool, group, "timeout", id, [...after.map((m) => m.id), id].sort(), after);
    declared.push(id);
  }
  return declared;
}
