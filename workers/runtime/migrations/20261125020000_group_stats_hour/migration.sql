-- Hourly rollups: the same counters as group_stats_minute, summed per hour. Written by the
-- workers' stats flush in the same transaction as the minute rows, so the dashboard's long
-- ranges (24 h and more) read 24 rows per group/topic and day instead of 1,440. Kept longer
-- than the minute rows (retention prunes them later).
CREATE TABLE group_stats_hour (
  consumer_group       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic                VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  hour                 DATETIME NOT NULL,
  consumed             BIGINT NOT NULL DEFAULT 0,
  claims               BIGINT NOT NULL DEFAULT 0,
  commits              BIGINT NOT NULL DEFAULT 0,
  dup_producer_resend  BIGINT NOT NULL DEFAULT 0,
  dup_rebalance_replay BIGINT NOT NULL DEFAULT 0,
  dup_redelivery       BIGINT NOT NULL DEFAULT 0,
  dup_unknown          BIGINT NOT NULL DEFAULT 0,
  inflight_waits       BIGINT NOT NULL DEFAULT 0,
  releases             BIGINT NOT NULL DEFAULT 0,
  takeovers            BIGINT NOT NULL DEFAULT 0,
  expiries             BIGINT NOT NULL DEFAULT 0,
  payload_mismatches   BIGINT NOT NULL DEFAULT 0,
  dead_lettered        BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (consumer_group, topic, hour),
  KEY idx_stats_hour (hour)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Existing minute rows become hour rows, so the long ranges show history from before this
-- migration too.
INSERT INTO group_stats_hour (consumer_group, topic, hour, consumed, claims, commits, dup_producer_resend,
                              dup_rebalance_replay, dup_redelivery, dup_unknown, inflight_waits, releases, takeovers,
                              expiries, payload_mismatches, dead_lettered)
SELECT consumer_group, topic, DATE_FORMAT(minute, '%Y-%m-%d %H:00:00'), SUM(consumed), SUM(claims), SUM(commits),
       SUM(dup_producer_resend), SUM(dup_rebalance_replay), SUM(dup_redelivery), SUM(dup_unknown), SUM(inflight_waits),
       SUM(releases), SUM(takeovers), SUM(expiries), SUM(payload_mismatches), SUM(dead_lettered)
  FROM group_stats_minute
 GROUP BY consumer_group, topic, DATE_FORMAT(minute, '%Y-%m-%d %H:00:00');
