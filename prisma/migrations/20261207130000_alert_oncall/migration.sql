-- Alerting an on-call engineer can trust (dashboard tables only; no runtime table is touched).
--
-- alert_rule: a pending period (for_s: fires only after the condition held that long), a
-- keep-firing period (keep_firing_s: resolves only after the condition has been clear that long),
-- an optional separate resolve threshold (hysteresis), and for live_workers the share of the
-- group's recent peak below which it fires (peak_pct).
ALTER TABLE alert_rule
  MODIFY kind ENUM('dup_rate','stuck_claims','replays','no_live_worker','dlq_growth','payload_mismatch','live_workers') NOT NULL,
  ADD COLUMN for_s             INT    NOT NULL DEFAULT 0,
  ADD COLUMN keep_firing_s     INT    NOT NULL DEFAULT 0,
  ADD COLUMN resolve_threshold DOUBLE NULL,
  ADD COLUMN peak_pct          DOUBLE NULL;

-- alert_state: 'pending' while the condition holds but for_s has not passed (pending_since);
-- clear_since while a firing alert's condition is clear but keep_firing_s has not passed;
-- an acknowledgement (who, when, note) stops repeats until the alert resolves.
ALTER TABLE alert_state
  MODIFY status ENUM('pending','firing','resolved') NOT NULL,
  ADD COLUMN pending_since DATETIME(3)   NULL,
  ADD COLUMN clear_since   DATETIME(3)   NULL,
  ADD COLUMN acked_by      VARCHAR(255)  NULL,
  ADD COLUMN acked_at      DATETIME(3)   NULL,
  ADD COLUMN ack_note      VARCHAR(1024) NULL;

-- Silences: while one matches an alert (its rule and/or its group) between starts_at and ends_at,
-- the alert's notifications are not sent. Ending one early moves ends_at and names who ended it.
CREATE TABLE alert_silence (
  id             INT NOT NULL AUTO_INCREMENT,
  rule_id        INT NULL,
  consumer_group VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  starts_at      DATETIME(3) NOT NULL,
  ends_at        DATETIME(3) NOT NULL,
  created_by     VARCHAR(255) NOT NULL,
  reason         VARCHAR(1024) NOT NULL,
  created_at     DATETIME(3) NOT NULL,
  ended_by       VARCHAR(255) NULL,
  PRIMARY KEY (id),
  KEY idx_silence_ends (ends_at),
  CONSTRAINT alert_silence_rule_id_fkey FOREIGN KEY (rule_id) REFERENCES alert_rule (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Alert history: every fire and resolve (and acknowledgement) per rule and group, with the value
-- and whether a silence kept the notification back. Flaps are counted from it.
CREATE TABLE alert_event (
  id             BIGINT NOT NULL AUTO_INCREMENT,
  ts             DATETIME(3) NOT NULL,
  rule_id        INT NOT NULL,
  consumer_group VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event          ENUM('fired','resolved','acknowledged') NOT NULL,
  value          DOUBLE NULL,
  silence_id     INT NULL,
  actor          VARCHAR(255) NULL,
  PRIMARY KEY (id),
  KEY idx_alert_event_rule_ts (rule_id, ts),
  KEY idx_alert_event_ts (ts),
  CONSTRAINT alert_event_rule_id_fkey FOREIGN KEY (rule_id) REFERENCES alert_rule (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The delivery log names what a notification was about: its group, its state and its alerts.
ALTER TABLE webhook_message
  ADD COLUMN consumer_group      VARCHAR(255)  NULL,
  ADD COLUMN notification_status ENUM('firing','resolved') NULL,
  ADD COLUMN alerts_summary      VARCHAR(1024) NULL;

-- Default rules nobody has edited since they were created get the quiet defaults: a pending
-- period, a keep-firing period and, for the duplicate rate, a lower resolve threshold.
UPDATE alert_rule SET for_s = 120, keep_firing_s = 300, resolve_threshold = 4
 WHERE kind = 'dup_rate' AND name = 'Duplicate rate above 5 %' AND threshold = 5 AND updated_at = created_at;
UPDATE alert_rule SET for_s = 60, keep_firing_s = 120
 WHERE kind = 'stuck_claims' AND name = 'Claims stuck past their lease' AND updated_at = created_at;
UPDATE alert_rule SET keep_firing_s = 600
 WHERE kind = 'replays' AND name = 'Rebalance replays' AND updated_at = created_at;
UPDATE alert_rule SET keep_firing_s = 60
 WHERE kind = 'no_live_worker' AND name = 'No live worker' AND updated_at = created_at;
UPDATE alert_rule SET keep_firing_s = 300
 WHERE kind IN ('dlq_growth', 'payload_mismatch') AND name IN ('Dead-letter queue growing', 'Payload mismatch for a known key') AND updated_at = created_at;
