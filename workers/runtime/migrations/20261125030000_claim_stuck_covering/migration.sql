-- Stuck-claim reads without touching the rows: idx_claim_stuck now carries consumer_group and
-- owner, so the per-group stuck summary (overview, /metrics, stuck_claims alerts) is an index-only
-- range over the CLAIMED-and-expired entries. Before, each stuck claim cost a primary-key lookup:
-- with 10M claims and 5,000 stuck the overview took 520-600 ms (bench/dashboard.bench.ts --full),
-- now ~35 ms. idx_claim_group_stuck goes: a group filter is checked inside this index (the
-- stuck set is small), and every claim insert and commit has one secondary index less to update.
-- Online: both changes are in-place, without locking the table.
ALTER TABLE dedup_claim
  DROP INDEX idx_claim_stuck,
  DROP INDEX idx_claim_group_stuck,
  ADD INDEX idx_claim_stuck (state, lease_until, consumer_group, owner),
  ALGORITHM=INPLACE, LOCK=NONE;
