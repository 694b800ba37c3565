-- Re-drive jobs of the dashboard: an operator re-publishes dead letters of a group to their
-- original topic. One row per job (who, why, throttle, state) and one per message with the
-- broker's answer for it; the job runner in the dashboard advances them. Dashboard-only tables.
CREATE TABLE redrive_job (
  id              INT NOT NULL AUTO_INCREMENT,
  consumer_group  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  actor           VARCHAR(255) NOT NULL,
  reason          TEXT NOT NULL,
  rate_per_s      INT NOT NULL,
  -- queued | running | paused | aborted | done
  state           VARCHAR(16) NOT NULL,
  total           INT NOT NULL,
  created_at      DATETIME(3) NOT NULL,
  updated_at      DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_redrive_group (consumer_group, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE redrive_item (
  job_id          INT NOT NULL,
  msg_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic           VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  dedup_key       VARBINARY(512) NOT NULL,
  -- what the preview said: rerun | duplicate
  expected        VARCHAR(16) NOT NULL,
  -- pending | sent | failed | skipped
  status          VARCHAR(16) NOT NULL,
  new_msg_id      VARCHAR(128) NULL,
  detail          VARCHAR(512) NULL,
  updated_at      DATETIME(3) NOT NULL,
  PRIMARY KEY (job_id, msg_id),
  CONSTRAINT redrive_item_job_fkey FOREIGN KEY (job_id) REFERENCES redrive_job (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
