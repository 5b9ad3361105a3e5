-- Background jobs: long work (a keyspace analysis, an import) that outlives the request that
-- started it. Any replica reads a job's state here; the replica running it writes its progress and
-- a heartbeat, and reads whether someone asked to cancel it. A job whose heartbeat stops is marked
-- interrupted by whichever replica notices first.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    connection_id    TEXT,
    kind             TEXT NOT NULL,
    created_by       TEXT,
    state            TEXT NOT NULL,
    params           TEXT NOT NULL,
    progress         TEXT NOT NULL,
    result           TEXT,
    error            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    heartbeat_at     TEXT NOT NULL
);
CREATE INDEX jobs_by_project ON jobs (project_id, created_at);
CREATE INDEX jobs_by_state ON jobs (state, heartbeat_at);
