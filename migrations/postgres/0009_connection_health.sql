-- What the last health check or real use found: the error people see (scrubbed of secrets, never
-- a value) and when the connection was last checked.
ALTER TABLE database_connections ADD COLUMN status_error TEXT;
ALTER TABLE database_connections ADD COLUMN status_checked_at TIMESTAMPTZ;
