-- dedup-audit runtime: initial schema (the dashboard's tables are in its own migration set).
-- Mirrors prisma/schema.prisma; the repository's schema-drift test checks it.
-- Group and topic names are RocketMQ identifiers (ASCII); keys are VARBINARY so they compare
-- byte-exact; the unique claim index is 255+255+255*4+512 bytes, under InnoDB's 3072.

CREATE TABLE dedup_claim (
  id             BIGINT NOT NULL AUTO_INCREMENT,
  consumer_group VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic          VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tag            VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL DEFAULT '',
  dedup_key      VARBINARY(512) NOT NULL,
  key_source     ENUM('key','custom','msgId') NOT NULL,
  state          ENUM('CLAIMED','DONE') NOT NULL,
  owner          VARCHAR(128) NOT NULL,
  fence          BIGINT NOT NULL DEFAULT 1,
  attempts       INT NOT NULL DEFAULT 1,
  first_msg_id   VARCHAR(128) NOT NULL,
  last_msg_id    VARCHAR(128) NOT NULL,
  queue          VARCHAR(255) NOT NULL DEFAULT '',
  payload_hash   BINARY(32) NOT NULL,
  claimed_at     DATETIME(3) NOT NULL,
  lease_until    DATETIME(3) NULL,
  done_at        DATETIME(3) NULL,
  expire_at      DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_claim_key (consumer_group, topic, tag, dedup_key),
  KEY idx_claim_stuck (state, lease_until),
  KEY idx_claim_group_stuck (consumer_group, state, lease_until),
  KEY idx_claim_expire (expire_at),
  KEY idx_claim_dedup_key (dedup_key),
  KEY idx_claim_first_msg (first_msg_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE dedup_event (
  id               BIGINT NOT NULL AUTO_INCREMENT,
  ts               DATETIME(3) NOT NULL,
  consumer_group   VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic            VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tag              VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL DEFAULT '',
  dedup_key        VARBINARY(512) NOT NULL,
  msg_id           VARCHAR(128) NOT NULL,
  kind             ENUM('duplicate','inflight','released_on_error','takeover','expiry','manual_release','manual_done','payload_mismatch','dead_letter') NOT NULL,
  cause            ENUM('producer_resend','rebalance_replay','redelivery','unknown') NULL,
  outcome          VARCHAR(64) NULL,
  worker           VARCHAR(128) NULL,
  fence            BIGINT NULL,
  delivery_attempt INT NULL,
  detail           TEXT NULL,
  PRIMARY KEY (id),
  KEY idx_event_group_key_ts (consumer_group, dedup_key, ts),
  KEY idx_event_msg (msg_id),
  KEY idx_event_group_ts (consumer_group, ts),
  KEY idx_event_ts (ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE group_stats_minute (
  consumer_group       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic                VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  minute               DATETIME NOT NULL,
  consumed             INT NOT NULL DEFAULT 0,
  claims               INT NOT NULL DEFAULT 0,
  commits              INT NOT NULL DEFAULT 0,
  dup_producer_resend  INT NOT NULL DEFAULT 0,
  dup_rebalance_replay INT NOT NULL DEFAULT 0,
  dup_redelivery       INT NOT NULL DEFAULT 0,
  dup_unknown          INT NOT NULL DEFAULT 0,
  inflight_waits       INT NOT NULL DEFAULT 0,
  releases             INT NOT NULL DEFAULT 0,
  takeovers            INT NOT NULL DEFAULT 0,
  expiries             INT NOT NULL DEFAULT 0,
  payload_mismatches   INT NOT NULL DEFAULT 0,
  dead_lettered        INT NOT NULL DEFAULT 0,
  PRIMARY KEY (consumer_group, topic, minute),
  KEY idx_stats_minute (minute)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE group_totals (
  consumer_group       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic                VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
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
  updated_at           DATETIME(3) NOT NULL,
  PRIMARY KEY (consumer_group, topic)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE worker_instance (
  id             VARCHAR(128) NOT NULL,
  consumer_group VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic          VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  host           VARCHAR(255) NOT NULL,
  pid            INT NOT NULL,
  version        VARCHAR(64) NOT NULL,
  client_id      VARCHAR(255) NOT NULL,
  mode           VARCHAR(32) NOT NULL,
  state          ENUM('live','left','dead') NOT NULL,
  queues         TEXT NOT NULL,
  inflight       INT NOT NULL DEFAULT 0,
  started_at     DATETIME(3) NOT NULL,
  heartbeat_at   DATETIME(3) NOT NULL,
  stopped_at     DATETIME(3) NULL,
  PRIMARY KEY (id),
  KEY idx_worker_group_state (consumer_group, state),
  KEY idx_worker_heartbeat (state, heartbeat_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE rebalance_event (
  id             BIGINT NOT NULL AUTO_INCREMENT,
  ts             DATETIME(3) NOT NULL,
  consumer_group VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind           ENUM('join','leave','timeout') NOT NULL,
  worker_id      VARCHAR(128) NOT NULL,
  members_before TEXT NOT NULL,
  members_after  TEXT NOT NULL,
  queues         TEXT NULL,
  PRIMARY KEY (id),
  KEY idx_rebalance_group_ts (consumer_group, ts),
  KEY idx_rebalance_worker (worker_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE operator_action (
  id             BIGINT NOT NULL AUTO_INCREMENT,
  ts             DATETIME(3) NOT NULL,
  actor          VARCHAR(255) NOT NULL,
  action         VARCHAR(64) NOT NULL,
  consumer_group VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  topic          VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  tag            VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL,
  dedup_key      VARBINARY(512) NULL,
  fence_seen     BIGINT NULL,
  reason         TEXT NOT NULL,
  result         VARCHAR(64) NOT NULL,
  detail         TEXT NULL,
  PRIMARY KEY (id),
  KEY idx_action_ts (ts),
  KEY idx_action_group_ts (consumer_group, ts),
  KEY idx_action_actor_ts (actor, ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The audit log is append-only: the database itself refuses to change or delete a row.
CREATE TRIGGER operator_action_no_update BEFORE UPDATE ON operator_action FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'operator_action is append-only';
CREATE TRIGGER operator_action_no_delete BEFORE DELETE ON operator_action FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'operator_action is append-only';
