/** Every action the dashboard and the alert process write to the audit log, grouped as the page's filter offers them. */
export const ACTION_GROUPS: { label: string; actions: string[] }[] = [
  { label: "Claims", actions: ["release", "mark_done"] },
  { label: "Users and tokens", actions: ["user_create", "user_update", "password_change", "token_create", "token_revoke"] },
  { label: "Alert rules", actions: ["alert_rule_create", "alert_rule_update", "alert_rule_delete", "alert_rule_defaults", "alert_rule_defaults_live_workers"] },
  { label: "On call", actions: ["alert_silence_create", "alert_silence_end", "alert_silenced", "alert_ack"] },
  { label: "Dead letters", actions: ["dead_letter_redrive_start", "dead_letter_redrive", "dead_letter_redrive_pause", "dead_letter_redrive_resume", "dead_letter_redrive_abort"] },
  { label: "Webhooks", actions: ["webhook_create", "webhook_update", "webhook_delete", "webhook_test", "webhook_rotate_secret", "webhook_reveal_secret"] },
];
