-- msgIds of a key met off the happy path, with the attempt and the worker holding the copy last:
-- the facts a duplicate's cause is decided from (workers/runtime/src/claim/cause.ts). Written only when a copy
-- is not a plain first delivery; pruned by retention (seen_at) like the events.
CREATE TABLE dedup_seen_msg (
  scope_hash BINARY(32) NOT NULL,
  msg_id     VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  attempt    INT NOT NULL,
  holder     VARCHAR(128) NOT NULL,
  seen_at    DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NULL,
  PRIMARY KEY (scope_hash, msg_id),
  KEY idx_seen_msg_seen_at (seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
