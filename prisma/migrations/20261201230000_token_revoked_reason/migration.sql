-- API tokens: why a token stopped working (revoked by an admin, its owner disabled, its owner's
-- password reset), and an expiry for every token. Tokens that never expired get one: 90 days
-- after creation, but at least 30 days from this migration, so none stops working by surprise.
ALTER TABLE api_token ADD COLUMN revoked_reason VARCHAR(64) NULL AFTER revoked_at;
UPDATE api_token
   SET expires_at = GREATEST(DATE_ADD(created_at, INTERVAL 90 DAY), DATE_ADD(UTC_TIMESTAMP(3), INTERVAL 30 DAY))
 WHERE expires_at IS NULL AND revoked_at IS NULL;
