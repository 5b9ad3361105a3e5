-- Engine names are data, not schema: the `Engine` type validates them where they enter (request
-- bodies and paths), so adding an engine needs no migration. Keep in step with migrations/postgres.
--
-- SQLite cannot drop a CHECK, so the two tables that listed the engines are rebuilt the way
-- https://www.sqlite.org/lang_altertable.html ("Making Other Kinds Of Table Schema Changes") says:
-- a new table with the same columns in the same order, minus that one CHECK; every row copied with
-- its rowid; the old table dropped; the new one renamed; its indexes and the view over it created
-- again exactly as before. Neither table has triggers.
--
-- That procedure turns foreign keys off first because dropping a parent table deletes its rows and
-- fires ON DELETE actions. No table references database_connections or snippets (jobs and
-- audit_log keep a connection id without a foreign key, so they outlive the connection), so foreign
-- keys stay on: dropping deletes nothing elsewhere, and each copied row is checked against
-- projects and users as it is inserted. The migration thus stays inside sqlx's transaction, and a
-- failure anywhere leaves the store at 0010 untouched.

-- The view names the table; renaming a table under a view that names a dropped one fails.
DROP VIEW project_databases;

CREATE TABLE new_database_connections (
    id                    TEXT PRIMARY KEY,
    project_id            TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    database_type         TEXT NOT NULL,
    identifier            TEXT NOT NULL,
    host                  TEXT NOT NULL,
    port                  INTEGER NOT NULL CHECK (port > 0 AND port < 65536),
    database_name         TEXT,
    username              TEXT,
    -- AES-256-GCM, base64(nonce || ciphertext); secret_key_id names the key that sealed both.
    password_enc          TEXT,
    connection_string_enc TEXT,
    secret_key_id         TEXT,
    options               TEXT NOT NULL DEFAULT '{}',
    is_primary            BOOLEAN NOT NULL DEFAULT FALSE,
    status                TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE', 'ERROR', 'CONNECTING')),
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    -- Added by 0005 and 0009, in that order.
    viewer_username       TEXT,
    viewer_password_enc   TEXT,
    privileges            TEXT,
    status_error          TEXT,
    status_checked_at     TEXT,
    UNIQUE (project_id, identifier)
);
INSERT INTO new_database_connections (rowid, id, project_id, database_type, identifier, host, port, database_name,
    username, password_enc, connection_string_enc, secret_key_id, options, is_primary, status, created_at, updated_at,
    viewer_username, viewer_password_enc, privileges, status_error, status_checked_at)
SELECT rowid, id, project_id, database_type, identifier, host, port, database_name,
    username, password_enc, connection_string_enc, secret_key_id, options, is_primary, status, created_at, updated_at,
    viewer_username, viewer_password_enc, privileges, status_error, status_checked_at
FROM database_connections;
DROP TABLE database_connections;
ALTER TABLE new_database_connections RENAME TO database_connections;
CREATE INDEX idx_database_connections_project_type ON database_connections(project_id, database_type);
CREATE UNIQUE INDEX idx_database_connections_one_primary ON database_connections(project_id, database_type) WHERE is_primary;

CREATE VIEW project_databases AS
SELECT dc.id, dc.project_id, dc.database_type, dc.identifier, dc.host, dc.port, dc.database_name, dc.status,
       dc.is_primary, dc.created_at, p.ref AS project_ref, p.name AS project_name, p.organization_id
FROM database_connections dc JOIN projects p ON dc.project_id = p.id;

CREATE TABLE new_snippets (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    engine      TEXT NOT NULL,
    content     TEXT NOT NULL,
    visibility  TEXT NOT NULL CHECK (visibility IN ('project', 'private')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
INSERT INTO new_snippets (rowid, id, project_id, owner_id, name, engine, content, visibility, created_at, updated_at)
SELECT rowid, id, project_id, owner_id, name, engine, content, visibility, created_at, updated_at FROM snippets;
DROP TABLE snippets;
ALTER TABLE new_snippets RENAME TO snippets;
CREATE INDEX idx_snippets_project ON snippets(project_id);
