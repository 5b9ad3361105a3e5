-- Separate credentials for viewers' SQL (a login without host powers), sealed like the password
-- with the same key, and what the last check found about the logins' powers (JSON).
ALTER TABLE database_connections ADD COLUMN viewer_username TEXT;
ALTER TABLE database_connections ADD COLUMN viewer_password_enc TEXT;
ALTER TABLE database_connections ADD COLUMN privileges TEXT;
