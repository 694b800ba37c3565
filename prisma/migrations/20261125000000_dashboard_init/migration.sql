-- The dashboard's tables: users, sessions, API tokens, alert rules and their state, webhooks.
-- A database migrated before these had a set of their own already has them (the runtime's init
-- created them then): lib/db/migrations.ts adopts this migration there instead of running it.

CREATE TABLE app_user (
  id            INT NOT NULL AUTO_INCREMENT,
  email         VARCHAR(255) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role          ENUM('viewer','operator','admin') NOT NULL,
  disabled      TINYINT(1) NOT NULL DEFAULT 0,
  created_at    DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_user_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE session (
  id           CHAR(64) NOT NULL,
  user_id      INT NOT NULL,
  csrf_token   CHAR(64) NOT NULL,
  created_at   DATETIME(3) NOT NULL,
  expires_at   DATETIME(3) NOT NULL,
  last_seen_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_session_user (user_id),
  KEY idx_session_expires (expires_at),
  CONSTRAINT session_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_user (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE api_token (
  id           INT NOT NULL AUTO_INCREMENT,
  name         VARCHAR(255) NOT NULL,
  token_hash   CHAR(64) NOT NULL,
  role         ENUM('viewer','operator','admin') NOT NULL,
  user_id      INT NOT NULL,
  created_at   DATETIME(3) NOT NULL,
  last_used_at DATETIME(3) NULL,
  expires_at   DATETIME(3) NULL,
  revoked_at   DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_token_hash (token_hash),
  KEY idx_token_user (user_id),
  CONSTRAINT api_token_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_user (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE alert_rule (
  id             INT NOT NULL AUTO_INCREMENT,
  name           VARCHAR(255) NOT NULL,
  kind           ENUM('dup_rate','stuck_claims','replays','no_live_worker','dlq_growth','payload_mismatch') NOT NULL,
  consumer_group VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  threshold      DOUBLE NOT NULL,
  window_s       INT NOT NULL,
  severity       VARCHAR(32) NOT NULL DEFAULT 'warning',
  enabled        TINYINT(1) NOT NULL DEFAULT 1,
  created_at     DATETIME(3) NOT NULL,
  updated_at     DATETIME(3) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE alert_state (
  id               BIGINT NOT NULL AUTO_INCREMENT,
  rule_id          INT NOT NULL,
  consumer_group   VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fingerprint      CHAR(16) NOT NULL,
  status           ENUM('firing','resolved') NOT NULL,
  value            DOUBLE NOT NULL,
  starts_at        DATETIME(3) NOT NULL,
  ends_at          DATETIME(3) NULL,
  last_notified_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_alert_rule_group (rule_id, consumer_group),
  KEY idx_alert_status (status),
  CONSTRAINT alert_state_rule_id_fkey FOREIGN KEY (rule_id) REFERENCES alert_rule (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE webhook_endpoint (
  id              INT NOT NULL AUTO_INCREMENT,
  name            VARCHAR(255) NOT NULL,
  url             VARCHAR(2048) NOT NULL,
  secret          VARCHAR(255) NOT NULL,
  format          ENUM('alertmanager','slack') NOT NULL DEFAULT 'alertmanager',
  enabled         TINYINT(1) NOT NULL DEFAULT 1,
  disabled_reason VARCHAR(255) NULL,
  created_at      DATETIME(3) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE webhook_message (
  id              VARCHAR(64) NOT NULL,
  endpoint_id     INT NOT NULL,
  payload         MEDIUMTEXT NOT NULL,
  status          ENUM('pending','delivered','failed') NOT NULL,
  attempts        INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(3) NOT NULL,
  created_at      DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_webhook_msg_due (status, next_attempt_at),
  KEY idx_webhook_msg_endpoint (endpoint_id),
  CONSTRAINT webhook_message_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoint (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE webhook_delivery (
  id          BIGINT NOT NULL AUTO_INCREMENT,
  message_id  VARCHAR(64) NOT NULL,
  endpoint_id INT NOT NULL,
  attempt     INT NOT NULL,
  ts          DATETIME(3) NOT NULL,
  status_code INT NULL,
  latency_ms  INT NOT NULL,
  error       TEXT NULL,
  PRIMARY KEY (id),
  KEY idx_delivery_endpoint_ts (endpoint_id, ts),
  KEY idx_delivery_message (message_id),
  CONSTRAINT webhook_delivery_message_id_fkey FOREIGN KEY (message_id) REFERENCES webhook_message (id) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT webhook_delivery_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoint (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
