-- Acks the broker refused or never answered (the receipt handle had expired, the call failed), by
-- msgId: written only then, off the happy path. A copy that comes back after its holder finished
-- is a redelivery when that holder's ack was refused, and a rebalance replay when the broker took
-- it (workers/runtime/src/claim/cause.ts). Pruned by retention (refused_at) like the events.
CREATE TABLE dedup_ack_refused (
  consumer_group VARCHAR(255) NOT NULL,
  msg_id         VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  worker         VARCHAR(128) NOT NULL,
  refused_at     DATETIME(3) NOT NULL,
  PRIMARY KEY (consumer_group, msg_id),
  KEY idx_ack_refused_at (refused_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
