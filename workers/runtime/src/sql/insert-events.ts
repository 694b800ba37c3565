/**
 * dedup_event rows: written only for what is not the happy path (duplicates, in-flight
 * sightings, releases, takeovers, expiries, mismatches). Many concurrent deliveries' events go
 * out in one multi-row INSERT through the adaptive batcher.
 */
import type { Db, Scope } from "./common.js";
import type { DuplicateCause, EventKind } from "../vocabulary.js";

export type { EventKind };


export interface DedupEventInput {
  kind: EventKind;
  tag: string;
  key: Buffer;
  msgId: string;
  cause?: DuplicateCause;
  /** What happened to the delivery: acked_duplicate, claimed_after_release, took_over, waiting, deferred, … */
  outcome?: string;
  worker?: string;
  fence?: number;
  deliveryAttempt?: number;
  /** Why a delivery failed (released_on_error, dead_letter): the error's class; the message is in detail. */
  errorClass?: string;
  detail?: string;
}

const MAX_DETAIL = 2000;

/** Append events of one group+topic in one statement; ts from the database clock. */
export async function insertEvents(db: Db, scope: Scope, events: DedupEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const params: unknown[] = [];
  for (const e of events) {
    params.push(
      scope.group,
      scope.topic,
      e.tag,
      e.key,
      e.msgId,
      e.kind,
      e.cause ?? null,
      e.outcome ?? null,
      e.worker ?? null,
      e.fence ?? null,
      e.deliveryAttempt ?? null,
      e.detail === undefined ? null : e.detail.slice(0, MAX_DETAIL),
      e.errorClass?.slice(0, 128) ?? null,
    );
  }
  await db.query(
    "INSERT INTO dedup_event (ts, consumer_group, topic, tag, dedup_key, msg_id, kind, cause, outcome, worker, fence, delivery_attempt, detail, error_class) VALUES " +
      Array(events.length).fill("(UTC_TIMESTAMP(3),?,?,?,?,?,?,?,?,?,?,?,?,?)").join(","),
    params,
  );
}
