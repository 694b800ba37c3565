-- Dead letters that say why they died, and a cause for re-driven copies.
--  * dedup_event.error_class: the class of the error a handler threw (released_on_error) or of
--    what ended the last attempt (dead_letter); the secrets-safe message stays in `detail`.
--  * dedup_claim.dead_lettered_at: an open claim whose key had a copy dead-lettered says so.
--  * manual_redrive: a re-driven dead letter that found its key DONE (cause and rollup columns).
-- Plain ADD COLUMN / MODIFY of an ENUM with a value appended: the same on MySQL 8 and MariaDB.
ALTER TABLE dedup_event ADD COLUMN error_class VARCHAR(128) NULL;

ALTER TABLE dedup_event MODIFY cause ENUM('producer_resend','rebalance_replay','redelivery','unknown','manual_redrive') NULL;

ALTER TABLE dedup_claim ADD COLUMN dead_lettered_at DATETIME(3) NULL;

ALTER TABLE group_stats_minute ADD COLUMN dup_manual_redrive INT NOT NULL DEFAULT 0;

ALTER TABLE group_stats_hour ADD COLUMN dup_manual_redrive BIGINT NOT NULL DEFAULT 0;

ALTER TABLE group_totals ADD COLUMN dup_manual_redrive BIGINT NOT NULL DEFAULT 0;

ALTER TABLE group_stats_delta ADD COLUMN dup_manual_redrive INT NOT NULL DEFAULT 0;
