-- When the worker a rebalance is about was last seen alive. A heartbeat timeout is written only
-- once the registry notices the silence (seconds after the death); its copies are handed out again
-- from the death on, so the chart draws the marker, and counts its replays, from this time.
-- Joins and clean leaves are their own time (the worker was alive when it wrote the row).
ALTER TABLE rebalance_event ADD COLUMN last_seen_at DATETIME(3) NULL AFTER ts;
