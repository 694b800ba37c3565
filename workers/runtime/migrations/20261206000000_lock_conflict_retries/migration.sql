-- Lock-conflict retries (1213 deadlock / Galera certification conflict, 1205 lock wait timeout)
-- as a rollup counter like the others: every worker process flushes them with its stats, and
-- /api/metrics exports them as dedup_lock_conflict_retries_total{consumer_group, topic}.
-- Plain ADD COLUMN: the same statements on MySQL 8 and MariaDB.
ALTER TABLE group_stats_minute ADD COLUMN lock_conflict_retries INT NOT NULL DEFAULT 0;

ALTER TABLE group_stats_hour ADD COLUMN lock_conflict_retries BIGINT NOT NULL DEFAULT 0;

ALTER TABLE group_totals ADD COLUMN lock_conflict_retries BIGINT NOT NULL DEFAULT 0;
