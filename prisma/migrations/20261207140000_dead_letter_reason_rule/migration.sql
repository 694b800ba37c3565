-- The alert kind dead_letter_reason: "dead letters by reason" (the runtime's migration of the same
-- name adds the failure reasons it reads: dedup_event.error_class).
ALTER TABLE alert_rule MODIFY kind ENUM('dup_rate','stuck_claims','replays','no_live_worker','dlq_growth','payload_mismatch','live_workers','dead_letter_reason') NOT NULL;
