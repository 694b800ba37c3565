-- Counters that commit with the work they count. Every transaction that writes the rows a
-- counter counts (claims, commits, events) appends one row here with that batch's counts, in the
-- same transaction: a SIGKILL, a database restart or a lost Galera node can lose the work and its
-- counts together, never one without the other. Rows are only ever inserted by the hot path (no
-- row that every worker updates, nothing for Galera to certify against), summed on read together
-- with group_totals, and rolled up into the minute/hour rollups and group_totals (then deleted) by
-- the workers' flush, in one transaction per pass.
CREATE TABLE group_stats_delta (
  id                    BIGINT NOT NULL AUTO_INCREMENT,
  consumer_group        VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic                 VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  minute                DATETIME NOT NULL,
  consumed              INT NOT NULL DEFAULT 0,
  claims                INT NOT NULL DEFAULT 0,
  commits               INT NOT NULL DEFAULT 0,
  dup_producer_resend   INT NOT NULL DEFAULT 0,
  dup_rebalance_replay  INT NOT NULL DEFAULT 0,
  dup_redelivery        INT NOT NULL DEFAULT 0,
  dup_unknown           INT NOT NULL DEFAULT 0,
  inflight_waits        INT NOT NULL DEFAULT 0,
  releases              INT NOT NULL DEFAULT 0,
  takeovers             INT NOT NULL DEFAULT 0,
  expiries              INT NOT NULL DEFAULT 0,
  payload_mismatches    INT NOT NULL DEFAULT 0,
  dead_lettered         INT NOT NULL DEFAULT 0,
  rejected              INT NOT NULL DEFAULT 0,
  lock_conflict_retries INT NOT NULL DEFAULT 0,
  reruns                INT NOT NULL DEFAULT 0,
  handler_reruns        INT NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A copy that claims a key again after a release (handler error, operator) or takes over an
-- expired claim runs the handler: a re-run, recorded as its own event kind and counter, not as a
-- duplicate hit (those are copies acked without running). handler_reruns: transactional handler
-- invocations of a message whose handler had already run in the same batch (a batch-mate threw
-- and the batch ran again with savepoints, or a lock conflict re-ran it).
ALTER TABLE dedup_event MODIFY kind ENUM('duplicate','inflight','released_on_error','takeover','expiry','manual_release','manual_done','payload_mismatch','dead_letter','rejected','rerun') NOT NULL;

ALTER TABLE group_stats_minute ADD COLUMN reruns INT NOT NULL DEFAULT 0, ADD COLUMN handler_reruns INT NOT NULL DEFAULT 0;

ALTER TABLE group_stats_hour ADD COLUMN reruns BIGINT NOT NULL DEFAULT 0, ADD COLUMN handler_reruns BIGINT NOT NULL DEFAULT 0;

ALTER TABLE group_totals ADD COLUMN reruns BIGINT NOT NULL DEFAULT 0, ADD COLUMN handler_reruns BIGINT NOT NULL DEFAULT 0;
