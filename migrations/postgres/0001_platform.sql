-- Platform schema (spec 1.2, 2.1) in schema `platform` (search_path). Keep in step with migrations/sqlite.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_superuser  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE organization_members (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner')),
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

CREATE TABLE projects (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    ref             TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE project_members (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX idx_project_members_user ON project_members(user_id);

CREATE TABLE database_connections (
    id                    TEXT PRIMARY KEY,
    project_id            TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    database_type         TEXT NOT NULL CHECK (database_type IN ('postgres', 'redis', 'mongodb')),
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
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    UNIQUE (project_id, identifier)
);
CREATE INDEX idx_database_connections_project_type ON database_connections(project_id, database_type);
CREATE UNIQUE INDEX idx_database_connections_one_primary ON database_connections(project_id, database_type) WHERE is_primary;

CREATE VIEW project_databases AS
SELECT dc.id, dc.project_id, dc.database_type, dc.identifier, dc.host, dc.port, dc.database_name, dc.status,
       dc.is_primary, dc.created_at, p.ref AS project_ref, p.name AS project_name, p.organization_id
FROM database_connections dc JOIN projects p ON dc.project_id = p.id;

CREATE TABLE audit_log (
    id            BIGSERIAL PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    user_id       TEXT,
    project_id    TEXT,
    engine        TEXT,
    connection_id TEXT,
    action        TEXT NOT NULL,
    target        TEXT,
    outcome       TEXT NOT NULL,
    request_id    TEXT,
    client_addr   TEXT
);
CREATE INDEX idx_audit_log_project_at ON audit_log(project_id, at);
