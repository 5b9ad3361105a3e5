-- Saved snippets (SQL, Redis commands, MongoDB queries) of a project: shared with the project's
-- members (visibility 'project') or seen by their owner only ('private').
CREATE TABLE snippets (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    engine      TEXT NOT NULL CHECK (engine IN ('postgres', 'redis', 'mongodb')),
    content     TEXT NOT NULL,
    visibility  TEXT NOT NULL CHECK (visibility IN ('project', 'private')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX idx_snippets_project ON snippets(project_id);
