-- Fixed-window counters (sign-in throttling). Keep in step with migrations/postgres: there they are
-- shared by every replica; with SQLite there is one process, but the code path is the same.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
