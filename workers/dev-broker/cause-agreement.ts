/**
 * Do the runtime's duplicate causes agree with what the broker did? Each duplicate hit in
 * dedup_event (msgId, attempt, time) — and each re-run, a copy that came back and ran, which
 * carries the cause of why it came — is matched to the broker's record of that delivery
 * (delivery-truth.ts): deliveries of one msgId are handed out one at a time and a hit is written
 * before its delivery is acked, so it belongs to the last delivery of its msgId and attempt
 * handed out before the hit was written. The truth maps to the cause the operator guide defines.
 */
import type { Pool, RowDataPacket } from "mysql2/promise";
import { DUPLICATE_CAUSES, type DuplicateCause } from "../runtime/src/vocabulary";
import { DELIVERY_REASONS, type DeliveryReason, type DeliveryRecord } from "./delivery-truth";

/** The runtime's causes (its vocabulary is the one list); the broker's truth maps onto them below. */
export const CAUSES = DUPLICATE_CAUSES;
type Cause = DuplicateCause;

/**
 * The cause a hit on a delivery of this kind must carry. A `first` delivery is a hit only when
 * another msgId of its key got to the dedup log first: from the log's side that is the producer's
 * second copy, whichever of the two the producer sent first.
 */
export const EXPECTED_CAUSE: Record<DeliveryReason, Cause> = {
  first: "producer_resend",
  resend_copy: "producer_resend",
  nack: "redelivery",
  dropped_ack: "redelivery",
  expired_holder_alive: "redelivery",
  expired_holder_dead: "rebalance_replay",
  v4_replay: "rebalance_replay",
};

export interface RecordedHit {
  msgId: string;
  attempt: number;
  atMs: number;
  cause: string;
}

type Row = DeliveryReason | "unmatched";

export interface CauseAgreement {
  /** truth → recorded cause → hits */
  matrix: Record<Row, Record<string, number>>;
  perCause: { cause: Cause; expected: number; recorded: number; agreed: number }[];
  hits: number;
}

/** Hits written this long before the broker's clock says the delivery happened still match it. */
const CLOCK_SLACK_MS = 5;

export function compareCauses(log: DeliveryRecord[], hits: RecordedHit[]): CauseAgreement {
  const byMsg = new Map<string, DeliveryRecord[]>();
  for (const r of log) {
    const list = byMsg.get(r.msgId);
    if (list) list.push(r);
    else byMsg.set(r.msgId, [r]);
  }
  const matrix = Object.fromEntries([...DELIVERY_REASONS, "unmatched"].map((r) => [r, {}])) as CauseAgreement["matrix"];
  for (const h of hits) {
    const same = (byMsg.get(h.msgId) ?? []).filter((r) => r.attempt === h.attempt);
    const before = same.filter((r) => r.atMs <= h.atMs + CLOCK_SLACK_MS);
    const truth = (before.length > 0 ? before : same).at(-1)?.reason ?? "unmatched";
    matrix[truth][h.cause] = (matrix[truth][h.cause] ?? 0) + 1;
  }
  const perCause = CAUSES.map((cause) => {
    let expected = 0, recorded = 0, agreed = 0;
    for (const row of Object.keys(matrix) as Row[]) {
      const want = row === "unmatched" ? undefined : EXPECTED_CAUSE[row];
      for (const [got, n] of Object.entries(matrix[row])) {
        if (want === cause) expected += n;
        if (got === cause) recorded += n;
        if (want === cause && got === cause) agreed += n;
      }
    }
    return { cause, expected, recorded, agreed };
  });
  return { matrix, perCause, hits: hits.length };
}

/** Causes whose hits agree with the truth less than `min` of the time (of the true ones, and of the recorded ones). */
export function disagreements(a: CauseAgreement, min = 0.99): string[] {
  const out: string[] = [];
  for (const c of a.perCause) {
    if (c.expected > 0 && c.agreed / c.expected < min) out.push(`${c.cause}: ${pct(c.agreed, c.expected)} of the truly ${c.cause} hits recorded as such (< ${min * 100} %)`);
    if (c.recorded > 0 && c.agreed / c.recorded < min) out.push(`${c.cause}: ${pct(c.agreed, c.recorded)} of the hits recorded ${c.cause} truly are (< ${min * 100} %)`);
  }
  const unmatched = Object.values(a.matrix.unmatched).reduce((n, v) => n + v, 0);
  if (unmatched > 0) out.push(`${unmatched} duplicate hits match no delivery the broker recorded`);
  return out;
}

const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(2)} %`;

export function formatCauseAgreement(a: CauseAgreement): string {
  const head = ["broker truth ↓ / recorded →", ...CAUSES, "should be"];
  const rows = (Object.keys(a.matrix) as Row[])
    .filter((r) => Object.keys(a.matrix[r]).length > 0)
    .map((r) => [r, ...CAUSES.map((c) => String(a.matrix[r][c] ?? 0)), r === "unmatched" ? "-" : EXPECTED_CAUSE[r]]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const table = [head, ...rows].map((cells) => "  " + cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
  const agreement = a.perCause
    .filter((c) => c.expected + c.recorded > 0)
    .map((c) => `  ${c.cause}: ${c.agreed} agree — ${pct(c.agreed, c.expected || 1)} of ${c.expected} true, ${pct(c.agreed, c.recorded || 1)} of ${c.recorded} recorded`);
  return [`duplicate causes vs broker truth (${a.hits} hits):`, ...table, ...agreement].join("\n");
}

export async function readDuplicateHits(pool: Pool, group: string): Promise<RecordedHit[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT msg_id, delivery_attempt, cause, ts FROM dedup_event WHERE consumer_group = ? AND kind IN ('duplicate', 'rerun') ORDER BY id",
    [group],
  );
  return rows.map((r) => ({ msgId: String(r.msg_id), attempt: Number(r.delivery_attempt), atMs: (r.ts as Date).getTime(), cause: String(r.cause) }));
}

/** The hits of `group` in the database against the broker's log of the same group. */
export async function causeAgreement(pool: Pool, admin: { deliveryLog(group: string): { records: DeliveryRecord[] } }, group: string): Promise<CauseAgreement> {
  return compareCauses(admin.deliveryLog(group).records, await readDuplicateHits(pool, group));
}

/** Print the confusion table of `group` (fault tests and the demo log it); returns the comparison. */
export async function logCauseAgreement(
  pool: Pool,
  admin: { deliveryLog(group: string): { records: DeliveryRecord[] } },
  group: string,
  print: (line: string) => void = (l) => console.log(l),
): Promise<CauseAgreement> {
  const a = await causeAgreement(pool, admin, group);
  print(`[${group}] ${formatCauseAgreement(a)}`);
  return a;
}
