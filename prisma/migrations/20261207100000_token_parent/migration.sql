-- API tokens: the token that created a token, when one did (NULL for a token made from a signed-in
-- session). A token's children die with it: revoking it revokes them, and none outlives it.
ALTER TABLE api_token ADD COLUMN parent_token_id INT NULL AFTER user_id, ADD KEY idx_token_parent (parent_token_id);
