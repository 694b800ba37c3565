-- A copy that claims a key again after a release (handler error, operator) or takes over an
-- expired claim runs the handler: a re-run, recorded as its own event kind and counter, not as a
-- duplicate hit (those are copies acked without running). handler_reruns: transactional handler
-- invocations of a message whose handler had already run in the same batch (a batch-mate threw
-- and the batch ran again with savepoints, or a lock conflict re-ran it).
ALTER TABLE dedup_event MODIFY kind ENUM('duplicate','inflight','released_on_error','takeover','expiry','manual_release','manual_done','payload_mismatch','dead_letter','rejected','rerun') NOT NULL;

ALTER TABLE group_stats_minute ADD COLUMN reruns INT NOT NULL DEFAULT 0, ADD COLUMN handler_reruns INT NOT NULL DEFAULT 0;

ALTER TABLE group_stats_hour ADD COLUMN reruns BIGINT NOT NULL DEFAULT 0, ADD COLUMN handler_reruns BIGINT NOT NULL DEFAULT 0;

ALTER TABLE group_totals ADD COLUMN reruns BIGINT NOT NULL DEFAULT 0, ADD COLUMN handler_reruns BIGINT NOT NULL DEFAULT 0;

-- Counters that commit with the work they count. Every transaction that writes the rows a
-- counter counts (claims, commits, events) appends one row here with that batch's counts, in the
-- same transaction: a SIGKILL, a database restart or a lost Galera node can lose the work and its
-- counts together, never one without the other. Rows are only ever inserted by the hot path (no
-- row that every worker updates, nothing for Galera to certify against), summed on read together
-- with group_totals, and rolled up into the minute/hour rollups and group_totals (then deleted) by
-- the workers' flush, in one transaction per pass. The columns are the minute rollup's (LIKE), so
-- the two never drift apart; the key is a row id instead of the minute.
CREATE TABLE group_stats_delta LIKE group_stats_minute;

ALTER TABLE group_stats_delta DROP PRIMARY KEY, DROP INDEX idx_stats_minute,
  ADD COLUMN id BIGINT NOT NULL AUTO_INCREMENT FIRST, ADD PRIMARY KEY (id);
