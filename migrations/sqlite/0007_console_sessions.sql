-- Console sessions (an HttpOnly cookie holding a random id; only its SHA-256 is stored), and what
-- ends a user's access early: disabling them, and a time before which their JWTs are refused
-- (sign out everywhere, password reset). Keep in step with migrations/postgres.
CREATE TABLE console_sessions (
    id_hash         TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token      TEXT NOT NULL,
    user_agent      TEXT,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    idle_expires_at TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX idx_console_sessions_user ON console_sessions(user_id);
CREATE INDEX idx_console_sessions_expires ON console_sessions(expires_at);

ALTER TABLE users ADD COLUMN disabled_at TEXT;
-- Unix seconds: JWTs issued before this are refused.
ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT;
