-- Non-retryable failures: a handler that throws UnrecoverableError closes its claim as rejected.
-- The claim becomes DONE (the key's life is over: duplicates are acked, retention deletes it,
-- stuck queries skip it) with the reason in reject_reason; the delivery writes a `rejected`
-- event and counts in the new `rejected` rollup column. Plain ADD COLUMN / MODIFY of an ENUM
-- with a value appended: the same statements on MySQL 8 and MariaDB.
ALTER TABLE dedup_claim ADD COLUMN reject_reason VARCHAR(512) NULL;

ALTER TABLE dedup_event MODIFY kind ENUM('duplicate','inflight','released_on_error','takeover','expiry','manual_release','manual_done','payload_mismatch','dead_letter','rejected') NOT NULL;

ALTER TABLE group_stats_minute ADD COLUMN rejected INT NOT NULL DEFAULT 0;

ALTER TABLE group_stats_hour ADD COLUMN rejected BIGINT NOT NULL DEFAULT 0;

ALTER TABLE group_totals ADD COLUMN rejected BIGINT NOT NULL DEFAULT 0;
