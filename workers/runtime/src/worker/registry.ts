/**
 * The worker registry: every worker process registers, heart-beats and deregisters in
 * worker_instance, and every join, clean leave and heartbeat timeout is written as a
 * rebalance_event of its group with the members before and after. Rebalances are taken from
 * here, not from the broker: a RocketMQ 5 proxy gives every push consumer of a group the same
 * pop assignment, so the client never sees a queue move (../../shared notes, DESIGN §3).
 */
import type mysql from "mysql2/promise";
import type { Db } from "../sql/claim-store.js";
import { intervalMicros, type Pool } from "../db/pool.js";

export interface WorkerInfo {
  /** Unique per process start; also the owner token written into claims. */
  id: string;
  group: string;
  topic: string;
  host: string;
  pid: number;
  version: string;
  clientId: string;
  mode: string;
}

export type RebalanceKind = "join" | "leave" | "timeout";

export async function listLiveMembers(db: Db, group: string): Promise<{ id: string; queues: string[] }[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT id, queues FROM worker_instance WHERE consumer_group = ? AND state = 'live' ORDER BY id",
    [group],
  );
  return rows.map((r) => ({ id: String(r.id), queues: parseQueues(String(r.queues)) }));
}

function parseQueues(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

async function insertRebalanceEvent(
  db: Db,
  group: string,
  kind: RebalanceKind,
  workerId: string,
  before: string[],
  after: { id: string; queues: string[] }[],
): Promise<void> {
  // Queues only where the broker assigns them (v4 mode); pop mode leaves every list empty.
  const withQueues = after.filter((m) => m.queues.length > 0);
  const queues = withQueues.length > 0 ? JSON.stringify(Object.fromEntries(withQueues.map((m) => [m.id, m.queues]))) : null;
  await db.query(
    "INSERT INTO rebalance_event (ts, consumer_group, kind, worker_id, members_before, members_after, queues) VALUES (UTC_TIMESTAMP(3), ?, ?, ?, ?, ?, ?)",
    [group, kind, workerId, JSON.stringify(before), JSON.stringify(after.map((m) => m.id)), queues],
  );
}

/** Register this worker as live and record the join. Safe to call again after being declared dead. */
export async function registerWorker(pool: Pool, w: WorkerInfo, queues: string[] = []): Promise<void> {
  await pool.query(
    `INSERT INTO worker_instance (id, consumer_group, topic, host, pid, version, client_id, mode, state, queues, inflight, started_at, heartbeat_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'live', ?, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
     ON DUPLICATE KEY UPDATE state = 'live', heartbeat_at = UTC_TIMESTAMP(3), stopped_at = NULL, client_id = VALUES(client_id), queues = VALUES(queues)`,
    [w.id, w.group, w.topic, w.host, w.pid, w.version, w.clientId, w.mode, JSON.stringify(queues)],
  );
  const after = await listLiveMembers(pool, w.group);
  await insertRebalanceEvent(pool, w.group, "join", w.id, after.map((m) => m.id).filter((id) => id !== w.id), after);
}

/**
 * Heartbeat. Returns false when we were no longer live (another worker declared us dead after a
 * stall): the caller registers again, which records a new join.
 */
export async function heartbeatWorker(db: Db, id: string, status: { inflight: number; queues: string[]; clientId?: string }): Promise<boolean> {
  const [res] = await db.query<mysql.ResultSetHeader>(
    "UPDATE worker_instance SET heartbeat_at = UTC_TIMESTAMP(3), inflight = ?, queues = ?, client_id = COALESCE(?, client_id) WHERE id = ? AND state = 'live'",
    [status.inflight, JSON.stringify(status.queues), status.clientId ?? null, id],
  );
  return res.affectedRows === 1;
}

/** Clean leave: state left, stopped_at now, and a leave event. */
export async function deregisterWorker(pool: Pool, w: Pick<WorkerInfo, "id" | "group">): Promise<void> {
  const [res] = await pool.query<mysql.ResultSetHeader>(
    "UPDATE worker_instance SET state = 'left', stopped_at = UTC_TIMESTAMP(3), inflight = 0 WHERE id = ? AND state = 'live'",
    [w.id],
  );
  if (res.affectedRows !== 1) return;
  const after = await listLiveMembers(pool, w.group);
  await insertRebalanceEvent(pool, w.group, "leave", w.id, [...after.map((m) => m.id), w.id].sort(), after);
}

/**
 * Find live workers of the group whose heartbeat is older than `timeoutMs` and declare them dead.
 * Every worker runs this; the conditional UPDATE lets exactly one of them win per dead worker, and
 * only the winner writes the timeout event. Returns the ids this call declared dead.
 */
export async function detectWorkerTimeouts(pool: Pool, group: string, timeoutMs: number): Promise<string[]> {
  const micros = intervalMicros(timeoutMs);
  const [stale] = await pool.query<mysql.RowDataPacket[]>(
    "SELECT id FROM worker_instance WHERE consumer_group = ? AND state = 'live' AND heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND",
    [group, micros],
  );
  const declared: string[] = [];
  for (const row of stale) {
    const id = String(row.id);
    const [res] = await pool.query<mysql.ResultSetHeader>(
      "UPDATE worker_instance SET state = 'dead', stopped_at = UTC_TIMESTAMP(3), inflight = 0 WHERE id = ? AND state = 'live' AND heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND",
      [id, micros],
    );
    if (res.affectedRows !== 1) continue; // another worker got there first
    const after = await listLiveMembers(pool, group);
    await insertRebalanceEvent(pool, group, "timeout", id, [...after.map((m) => m.id), id].sort(), after);
    declared.push(id);
  }
  return declared;
}

export interface ReplayFacts {
  /** The claiming worker left or died after `since` and within the replay window. */
  ownerGone: boolean;
  /**
   * The group's membership changed around the claim, within the replay window: a rebalance
   * recorded from one worker timeout before `since` on, or one under way (a member overdue).
   */
  rebalanced: boolean;
}

/**
 * A live member silent for half the worker timeout has missed heartbeats: it is most likely gone
 * (the broker may already have moved its queues) though nobody has recorded its timeout yet. The
 * worker asking is never one: it is handling this delivery, only its heartbeat is late.
 */
function overdueMs(workerTimeoutMs: number): number {
  return workerTimeoutMs / 2;
}

/**
 * Registry facts for the cause of a duplicate of a claim made by `owner` at `since`. A live
 * worker whose heartbeat is older than the timeout counts as gone even before someone has
 * recorded its timeout.
 *
 * Rebalances are looked for from one worker timeout *before* the claim, because the registry and
 * the broker see a membership change at different moments: a worker records its join before its
 * consumer takes queues (the client's first QueryAssignment comes a second or more later), so a
 * queue can move after a claim made just after the join; and a broker that sees a killed client's
 * connection close moves its queues before the registry's heartbeat timeout records the death
 * (hence the overdue members). Both lags are bounded by about the worker timeout, the registry's
 * own tolerance for a silent member. The owner's own join before its claim does not count: a
 * worker claims only once its consumer has queues, so that join cannot replay its claims.
 */
export async function readReplayFacts(
  db: Db,
  q: { group: string; owner: string; since: Date; windowMs: number; workerTimeoutMs: number; asker: string },
): Promise<ReplayFacts> {
  const win = intervalMicros(q.windowMs);
  const changedFrom = new Date(q.since.getTime() - q.workerTimeoutMs);
  const [[row]] = await db.query<mysql.RowDataPacket[]>(
    `SELECT
       EXISTS(SELECT 1 FROM worker_instance w WHERE w.id = ? AND (
          (w.state IN ('left','dead') AND w.stopped_at >= ? AND w.stopped_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)
          OR (w.state = 'live' AND w.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND))) AS owner_gone,
       EXISTS(SELECT 1 FROM rebalance_event r WHERE r.consumer_group = ? AND r.ts >= ?
          AND r.ts >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND
          AND NOT (r.kind = 'join' AND r.worker_id = ? AND r.ts < ?)) AS rebalanced,
       EXISTS(SELECT 1 FROM worker_instance m WHERE m.consumer_group = ? AND m.state = 'live' AND m.id <> ?
          AND m.heartbeat_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND AND m.heartbeat_at >= ?
          AND m.heartbeat_at >= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND) AS departing`,
    [
      q.owner, q.since, win, intervalMicros(q.workerTimeoutMs),
      q.group, changedFrom, win, q.owner, q.since,
      q.group, q.asker, intervalMicros(overdueMs(q.workerTimeoutMs)), changedFrom, win,
    ],
  );
  return { ownerGone: Number(row?.owner_gone) > 0, rebalanced: Number(row?.rebalanced) > 0 || Number(row?.departing) > 0 };
}
