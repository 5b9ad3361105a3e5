-- What an audit record's action changed (JSON: the object's id and name, a member's role, a
-- token's id and role, a SQL write's command, rows and statement hash; never values or secrets),
-- and the API token the action was taken with.
ALTER TABLE audit_log ADD COLUMN details TEXT;
ALTER TABLE audit_log ADD COLUMN token_id TEXT;
