/**
 * Rows other components will write in production (worker registry, rollups, claims), written
 * directly here so alert tests and the benchmark can create conditions on demand.
 */
import type { Pool } from "../../../lib/alerts/db";
import type { AlertRule } from "../../../lib/alerts/rules";

/** A rule as the evaluator loads it: no hold periods unless a test gives them. */
export function testRule(r: Partial<AlertRule> & Pick<AlertRule, "kind" | "threshold" | "windowS">): AlertRule {
  return { id: 1, name: "r", consumerGroup: null, severity: "warning", enabled: true, forS: 0, keepFiringS: 0, resolveThreshold: null, peakPct: null, ...r };
}

export interface WorkerRow {
  id: string;
  group: string;
  state?: "live" | "left" | "dead";
  /** Seconds since the last heartbeat (0 = now). */
  heartbeatAgeS?: number;
}

export async function upsertWorker(pool: Pool, w: WorkerRow): Promise<void> {
  await pool.query(
    `INSERT INTO worker_instance (id, consumer_group, topic, host, pid, version, client_id, mode, state, queues, inflight, started_at, heartbeat_at)
     VALUES (?, ?, 'orders-topic', 'test-host', 1, 'test', ?, 'lease', ?, '[]', 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)
     ON DUPLICATE KEY UPDATE state = VALUES(state), heartbeat_at = VALUES(heartbeat_at)`,
    [w.id, w.group, `client-${w.id}`, w.state ?? "live", Math.round((w.heartbeatAgeS ?? 0) * 1e6)],
  );
}

export interface StatsRow {
  group: string;
  topic?: string;
  /** Minutes before the current one (0 = this minute). */
  minutesAgo?: number;
  consumed?: number;
  dupProducerResend?: number;
  dupRebalanceReplay?: number;
  dupRedelivery?: number;
  dupUnknown?: number;
  payloadMismatches?: number;
  deadLettered?: number;
  dupManualRedrive?: number;
}

export async function addStats(pool: Pool, s: StatsRow): Promise<void> {
  const cols = [s.consumed, s.dupProducerResend, s.dupRebalanceReplay, s.dupRedelivery, s.dupUnknown, s.dupManualRedrive, s.payloadMismatches, s.deadLettered].map((v) => v ?? 0);
  await pool.query(
    `INSERT INTO group_stats_minute (consumer_group, topic, minute, consumed, dup_producer_resend, dup_rebalance_replay, dup_redelivery, dup_unknown, dup_manual_redrive, payload_mismatches, dead_lettered)
     VALUES (?, ?, DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL ? MINUTE, '%Y-%m-%d %H:%i:00'), ?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE consumed = consumed + VALUES(consumed), dup_producer_resend = dup_producer_resend + VALUES(dup_producer_resend),
       dup_rebalance_replay = dup_rebalance_replay + VALUES(dup_rebalance_replay), dup_redelivery = dup_redelivery + VALUES(dup_redelivery),
       dup_unknown = dup_unknown + VALUES(dup_unknown), dup_manual_redrive = dup_manual_redrive + VALUES(dup_manual_redrive),
       payload_mismatches = payload_mismatches + VALUES(payload_mismatches),
       dead_lettered = dead_lettered + VALUES(dead_lettered)`,
    [s.group, s.topic ?? "t", s.minutesAgo ?? 0, ...cols],
  );
}

let claimSeq = 0;

/** A CLAIMED row whose lease ran out `expiredAgoS` seconds ago (negative: still valid). */
export async function addClaim(pool: Pool, group: string, expiredAgoS: number): Promise<void> {
  claimSeq++;
  await pool.query(
    `INSERT INTO dedup_claim (consumer_group, topic, tag, dedup_key, key_source, state, owner, first_msg_id, last_msg_id, payload_hash, claimed_at, lease_until)
     VALUES (?, 't', '', ?, 'key', 'CLAIMED', 'w', 'm', 'm', UNHEX(SHA2('x', 256)), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)`,
    [group, Buffer.from(`key-${claimSeq}`), Math.round(expiredAgoS * 1e6)],
  );
}
