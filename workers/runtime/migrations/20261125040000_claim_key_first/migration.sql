-- The unique claim key leads with dedup_key: (dedup_key, consumer_group, topic, tag) instead of
-- (consumer_group, topic, tag, dedup_key). Same columns, so the same uniqueness; every lookup by
-- key — the runtime's (group, topic, tag, key IN …), the key explorer's key across groups, the
-- release CLI's key in one group — is now a prefix of it, so idx_claim_dedup_key (dedup_key)
-- goes: one secondary index less for every claim insert to maintain (bench/README.md: lease
-- claim+commit +6 % at 64 in flight), and key comparisons start with the bytes that differ.
-- Online: the old unique index keeps working until the new one is built.
ALTER TABLE dedup_claim
  DROP INDEX idx_claim_dedup_key,
  DROP INDEX uq_claim_key,
  ADD UNIQUE KEY uq_claim_key (dedup_key, consumer_group, topic, tag),
  ALGORITHM=INPLACE, LOCK=NONE;
