/**
 * A worker's row in worker_instance, made live: inserted at its first start, or back to live
 * when it registers again after another worker declared it dead (same id, new heartbeat).
 */
import type { Db } from "./common.js";

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

export async function upsertLiveWorker(db: Db, w: WorkerInfo, queues: string[]): Promise<void> {
  await db.query(
    `INSERT INTO worker_instance (id, consumer_group, topic, host, pid, version, client_id, mode, state, queues, inflight, started_at, heartbeat_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'live', ?, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
     ON DUPLICATE KEY UPDATE state = 'live', heartbeat_at = UTC_TIMESTAMP(3), stopped_at = NULL, client_id = VALUES(client_id), queues = VALUES(queues)`,
    [w.id, w.group, w.topic, w.host, w.pid, w.version, w.clientId, w.mode, JSON.stringify(queues)],
  );
}
