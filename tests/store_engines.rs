//! Migration 0011: engine names stop being CHECK constraints, so a new engine needs no migration.
//! On both backends a store at 0010 full of rows is upgraded, and everything must survive exactly:
//! every row, every index, trigger and view, every foreign key and its ON DELETE behaviour.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use common::Postgres;
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};
use switchboard::crypto::{KeyId, Sealed};
use switchboard::domain::{ConnectionId, ConnectionStatus, Engine, JobId, ProjectId, Role, SnippetId, UserId};
use switchboard::store::{
    self, AuditEntry, AuditNoted, ConnectionHealth, ConnectionRecord, JobProgress, JobRecord, JobState, PlatformStore,
    Snippet, SnippetOwner, Visibility,
};
use time::OffsetDateTime;

/// The engines the schema listed before 0011 (a newer one cannot be stored at 0010).
const LISTED_BEFORE_0011: [Engine; 3] = [Engine::Postgres, Engine::Redis, Engine::Mongodb];

/// The first migration the store at 0010 has not run: the one under test.
const BEFORE: &str = "0011";

/// A plain pool on the same store, for what the store's API does not say: raw rows and schema.
enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    async fn sqlite(url: &str) -> Self {
        // As the store opens it: foreign keys on.
        let options = SqliteConnectOptions::from_str(url).unwrap().create_if_missing(true).foreign_keys(true);
        Raw::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap())
    }

    async fn postgres(url: &str) -> Self {
        let options = PgConnectOptions::from_str(url).unwrap().options([("search_path", "platform")]);
        let pool = PgPoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        sqlx::query("CREATE SCHEMA IF NOT EXISTS platform").execute(&pool).await.unwrap();
        Raw::Postgres(pool)
    }

    fn backend(&self) -> &'static str {
        match self {
            Raw::Sqlite(_) => "sqlite",
            Raw::Postgres(_) => "postgres",
        }
    }

    /// Applies the migrations before 0011, from a copy of the repository's files (same checksums).
    async fn migrate_to_0010(&self) {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(self.backend());
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(&source).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().as_ref() < BEFORE {
                std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
            }
        }
        let migrator = Migrator::new(dir.path()).await.unwrap();
        assert_eq!(migrator.iter().map(|m| m.version).max(), Some(10));
        match self {
            Raw::Sqlite(pool) => migrator.run(pool).await.unwrap(),
            Raw::Postgres(pool) => migrator.run(pool).await.unwrap(),
        }
    }

    /// Runs a query whose one column is text.
    async fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
            Raw::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn count(&self, sql: &str, binds: &[&str]) -> i64 {
        match self {
            Raw::Sqlite(pool) => binds.iter().fold(sqlx::query_scalar(sql), |q, b| q.bind(*b)).fetch_one(pool).await,
            Raw::Postgres(pool) => binds.iter().fold(sqlx::query_scalar(sql), |q, b| q.bind(*b)).fetch_one(pool).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn exec(&self, sql: &str, binds: &[&str]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Raw::Sqlite(pool) => {
                binds.iter().fold(sqlx::query(sql), |q, b| q.bind(*b)).execute(pool).await?.rows_affected()
            }
            Raw::Postgres(pool) => {
                binds.iter().fold(sqlx::query(sql), |q, b| q.bind(*b)).execute(pool).await?.rows_affected()
            }
        })
    }

    async fn tables(&self) -> Vec<String> {
        self.texts(match self {
            Raw::Sqlite(_) => {
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> '_sqlx_migrations' ORDER BY name"
            }
            Raw::Postgres(_) => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'platform' \
                 AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY 1"
            }
        })
        .await
    }

    /// Every row of every table as text, with SQLite's storage classes and rowids (`quote`).
    async fn dump(&self) -> Vec<String> {
        let mut dump = Vec::new();
        for table in self.tables().await {
            let rows = match self {
                Raw::Sqlite(_) => {
                    let columns =
                        self.texts(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")).await;
                    let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
                    let sql = format!(
                        "SELECT quote(rowid) || '|' || {} FROM \"{table}\" ORDER BY rowid",
                        quoted.join(" || '|' || ")
                    );
                    self.texts(&sql).await
                }
                Raw::Postgres(_) => self.texts(&format!("SELECT t::text FROM platform.\"{table}\" t ORDER BY 1")).await,
            };
            dump.extend(rows.into_iter().map(|row| format!("{table}: {row}")));
        }
        if let Raw::Postgres(_) = self {
            dump.extend(self.texts("SELECT 'audit_log_id_seq: ' || last_value FROM platform.audit_log_id_seq").await);
        }
        dump
    }

    /// Columns, indexes, triggers, views and foreign keys; constraints apart (see `constraints`).
    async fn schema(&self) -> Vec<String> {
        let queries: &[&str] = match self {
            Raw::Sqlite(_) => &[
                "SELECT t.name || ' ' || c.cid || ' ' || c.name || ' ' || c.type || ' notnull=' || c.\"notnull\" \
                 || ' default=' || coalesce(c.dflt_value, '-') || ' pk=' || c.pk \
                 FROM sqlite_schema t, pragma_table_info(t.name) c WHERE t.type = 'table' ORDER BY t.name, c.cid",
                "SELECT t.name || ' fk ' || f.id || '.' || f.seq || ' ' || f.\"from\" || ' -> ' || f.\"table\" || '(' \
                 || f.\"to\" || ') on update ' || f.on_update || ' on delete ' || f.on_delete \
                 FROM sqlite_schema t, pragma_foreign_key_list(t.name) f WHERE t.type = 'table' ORDER BY 1",
                "SELECT type || ' ' || name || ' on ' || tbl_name || ': ' || coalesce(sql, '(automatic)') \
                 FROM sqlite_schema WHERE type <> 'table' ORDER BY name",
            ],
            Raw::Postgres(_) => &[
                "SELECT table_name || ' ' || ordinal_position || ' ' || column_name || ' ' || data_type \
                 || ' nullable=' || is_nullable || ' default=' || coalesce(column_default, '-') \
                 FROM information_schema.columns WHERE table_schema = 'platform' ORDER BY table_name, ordinal_position",
                "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'platform' ORDER BY 1",
                "SELECT tgname || ': ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal \
                 AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'platform'::regnamespace) ORDER BY 1",
                "SELECT viewname || ': ' || definition FROM pg_views WHERE schemaname = 'platform' ORDER BY 1",
            ],
        };
        let mut schema = Vec::new();
        for sql in queries {
            schema.extend(self.texts(sql).await);
        }
        schema
    }

    /// SQLite: each table's text (its constraints live there); PostgreSQL: each named constraint.
    async fn constraints(&self) -> BTreeSet<String> {
        let sql = match self {
            Raw::Sqlite(_) => "SELECT name || ': ' || sql FROM sqlite_schema WHERE type = 'table' ORDER BY 1",
            Raw::Postgres(_) => {
                "SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid) \
                 || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END \
                 FROM pg_constraint WHERE connamespace = 'platform'::regnamespace ORDER BY 1"
            }
        };
        self.texts(sql).await.into_iter().collect()
    }

    /// Rows breaking a foreign key (SQLite checks them at insert, but only while they are on).
    async fn foreign_key_violations(&self) -> usize {
        match self {
            Raw::Sqlite(pool) => sqlx::query("PRAGMA foreign_key_check").fetch_all(pool).await.unwrap().len(),
            // PostgreSQL never holds a violating row under a validated constraint (checked in `constraints`).
            Raw::Postgres(_) => 0,
        }
    }
}

/// Asserts `after == before`, naming only the lines that differ.
fn same(what: &str, before: &[String], after: &[String]) {
    let missing: Vec<&String> = before.iter().filter(|line| !after.contains(line)).collect();
    let extra: Vec<&String> = after.iter().filter(|line| !before.contains(line)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{what}: missing {missing:#?}, new {extra:#?}");
    assert_eq!(before, after, "{what}: the same lines, in another order");
}

fn connection(project: ProjectId, engine: Engine, identifier: &str, primary: bool) -> ConnectionRecord {
    let now = OffsetDateTime::now_utc();
    ConnectionRecord {
        id: ConnectionId::new(),
        project_id: project,
        engine,
        identifier: identifier.into(),
        host: format!("{engine}.internal"),
        port: engine.default_port(),
        database_name: Some("app".into()),
        username: Some("app".into()),
        password: Some(Sealed { key_id: KeyId("k1".into()), blob: "c2VhbGVk".into() }),
        connection_string: None,
        viewer_username: None,
        viewer_password: None,
        privileges: None,
        options: json!({"pool_size": 5}),
        is_primary: primary,
        status: ConnectionStatus::Active,
        status_error: None,
        status_checked_at: None,
        created_at: now,
        updated_at: now,
    }
}

fn job(project: ProjectId, connection: Option<ConnectionId>, state: JobState) -> JobRecord {
    let now = OffsetDateTime::now_utc();
    JobRecord {
        id: JobId::new(),
        project_id: project,
        connection_id: connection,
        kind: "redis.analysis".into(),
        created_by: None,
        state,
        params: json!({"match": "*"}),
        progress: JobProgress { done: 7, total: Some(10), unit: "keys".into() },
        result: state.is_final().then(|| json!({"keys": 10})),
        error: None,
        cancel_requested: false,
        created_at: now,
        started_at: Some(now),
        finished_at: state.is_final().then_some(now),
        heartbeat_at: now,
    }
}

/// What the store at 0010 holds when it is upgraded.
struct Seeded {
    project: ProjectId,
    other_project: ProjectId,
    dev: UserId,
    /// The Redis connection the running job and an audit record name.
    redis: ConnectionId,
    job: JobId,
}

/// Fills a store at 0010 through its own API: a project with connections of every engine (one
/// with every optional column set), snippets of every engine, jobs and audit records.
async fn seed(store: &Arc<dyn PlatformStore>) -> Seeded {
    let owner = store.create_user("owner@example.com", "hash", true).await.unwrap();
    let dev = store.create_user("dev@example.com", "hash", false).await.unwrap();
    let org = store.create_organization("Acme", "acme", owner.id).await.unwrap();
    let project = store.create_project(org.id, "Shop", "shopref").await.unwrap();
    let other = store.create_project(org.id, "Other", "otherref").await.unwrap();
    store.put_member(project.id, dev.id, Role::Developer).await.unwrap();

    let mut redis = None;
    for engine in LISTED_BEFORE_0011 {
        let main = connection(project.id, engine, &format!("{engine}-main"), true);
        store.insert_connection(&main).await.unwrap();
        store.insert_connection(&connection(project.id, engine, &format!("{engine}-spare"), false)).await.unwrap();
        store.insert_connection(&connection(other.id, engine, &format!("{engine}-other"), true)).await.unwrap();
        if engine == Engine::Redis {
            redis = Some(main.id);
        }
    }
    let mut full = connection(project.id, Engine::Postgres, "pg-full", false);
    full.connection_string = Some(Sealed { key_id: KeyId("k1".into()), blob: "Y29ubg==".into() });
    full.viewer_username = Some("viewer".into());
    full.viewer_password = Some(Sealed { key_id: KeyId("k1".into()), blob: "dmlld2Vy".into() });
    store.insert_connection(&full).await.unwrap();
    store.set_connection_privileges(full.id, &json!({"superuser": false})).await.unwrap();
    let health = ConnectionHealth {
        status: ConnectionStatus::Error,
        error: Some("connection refused".into()),
        checked_at: OffsetDateTime::now_utc(),
    };
    store.set_connection_health(full.id, &health).await.unwrap();
    let redis = redis.unwrap();

    let now = OffsetDateTime::now_utc();
    for (engine, owner_id, email, visibility) in [
        (Engine::Postgres, dev.id, "dev@example.com", Visibility::Project),
        (Engine::Redis, dev.id, "dev@example.com", Visibility::Private),
        (Engine::Mongodb, owner.id, "owner@example.com", Visibility::Project),
    ] {
        let snippet = Snippet {
            id: SnippetId::new(),
            project_id: project.id,
            name: format!("{engine} snippet"),
            engine,
            content: "SELECT 'é', 1 -- ünïcode".into(),
            visibility,
            owner: SnippetOwner { id: owner_id, email: email.into() },
            created_at: now,
            updated_at: now,
        };
        store.insert_snippet(&snippet).await.unwrap();
    }

    let running = job(project.id, Some(redis), JobState::Running);
    store.insert_job(&running).await.unwrap();
    store.insert_job(&job(project.id, None, JobState::Succeeded)).await.unwrap();
    store.insert_job(&job(other.id, None, JobState::Failed)).await.unwrap();

    let audit = AuditEntry {
        at: now,
        user_id: Some(owner.id),
        project_ref: Some("shopref".into()),
        engine: Some("redis".into()),
        connection_id: Some(redis),
        action: "DELETE /api/platform/redis/{ref}/keys/{key}".into(),
        target: Some("session:1".into()),
        outcome: "pending".into(),
        status: None,
        request_id: Some("r1".into()),
        client_addr: Some("127.0.0.1".into()),
        token_id: None,
        details: None,
    };
    let first = store.insert_audit(&audit).await.unwrap();
    store.insert_audit(&AuditEntry { engine: None, connection_id: None, ..audit.clone() }).await.unwrap();
    let noted = AuditNoted { target: None, connection_id: None, details: Some(json!({"keys": 1})) };
    store.finish_audit(first, "ok", 204, &noted).await.unwrap();

    Seeded { project: project.id, other_project: other.id, dev: dev.id, redis, job: running.id }
}

/// Inserts a connection and a snippet of engine `mysql` at the SQL level, then removes them (the
/// store's reads only know the engines of [`Engine`]).
async fn mysql_rows_fit(raw: &Raw, project: ProjectId, owner: &str) {
    let project = project.to_string();
    raw.exec(
        "INSERT INTO database_connections (id, project_id, database_type, identifier, host, port, created_at, updated_at) \
         VALUES ('mysql-1', $1, 'mysql', 'mysql-main', 'mysql.internal', 3306, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        &[&project],
    )
    .await
    .expect("a mysql connection fits");
    raw.exec(
        "INSERT INTO snippets (id, project_id, owner_id, name, engine, content, visibility, created_at, updated_at) \
         VALUES ('mysql-s', $1, $2, 'tables', 'mysql', 'SHOW TABLES', 'project', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        &[&project, owner],
    )
    .await
    .expect("a mysql snippet fits");
    assert_eq!(raw.count("SELECT count(*) FROM project_databases WHERE database_type = 'mysql'", &[]).await, 1);
    assert_eq!(raw.exec("DELETE FROM database_connections WHERE id = 'mysql-1'", &[]).await.unwrap(), 1);
    assert_eq!(raw.exec("DELETE FROM snippets WHERE id = 'mysql-s'", &[]).await.unwrap(), 1);
}

/// Inserts a connection row `bad`; `engine` is a SQL literal (`'mysql'`, `NULL`).
async fn bad_connection(raw: &Raw, project: &str, engine: &str, port: i64, status: &str) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO database_connections (id, project_id, database_type, identifier, host, port, status, \
         created_at, updated_at) VALUES ('bad', $1, {engine}, 'bad', 'h', {port}, $2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    );
    raw.exec(&sql, &[project, status]).await
}

/// Inserts a snippet row `bad`; `engine` is a SQL literal (`'mysql'`, `NULL`).
async fn bad_snippet(
    raw: &Raw,
    project: &str,
    owner: &str,
    engine: &str,
    visibility: &str,
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO snippets (id, project_id, owner_id, name, engine, content, visibility, created_at, updated_at) \
         VALUES ('bad', $1, $2, 'n', {engine}, 'c', $3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    );
    raw.exec(&sql, &[project, owner, visibility]).await
}

/// The constraints that stay: NOT NULL on the engine columns, the other CHECKs, the foreign keys.
async fn other_constraints_hold(raw: &Raw, project: ProjectId, owner: &str) {
    let project = &project.to_string();
    assert_eq!(bad_connection(raw, project, "'mysql'", 3306, "ACTIVE").await.unwrap(), 1);
    assert_eq!(raw.exec("DELETE FROM database_connections WHERE id = 'bad'", &[]).await.unwrap(), 1);
    assert!(bad_connection(raw, project, "NULL", 3306, "ACTIVE").await.is_err(), "the engine stays NOT NULL");
    assert!(bad_connection(raw, project, "'mysql'", 0, "ACTIVE").await.is_err(), "the port CHECK stays");
    assert!(bad_connection(raw, project, "'mysql'", 3306, "BOGUS").await.is_err(), "the status CHECK stays");
    assert!(bad_connection(raw, "no-such-project", "'mysql'", 3306, "ACTIVE").await.is_err(), "its project must exist");

    assert_eq!(bad_snippet(raw, project, owner, "'mysql'", "private").await.unwrap(), 1);
    assert_eq!(raw.exec("DELETE FROM snippets WHERE id = 'bad'", &[]).await.unwrap(), 1);
    assert!(bad_snippet(raw, project, owner, "NULL", "project").await.is_err(), "the engine stays NOT NULL");
    assert!(bad_snippet(raw, project, owner, "'mysql'", "public").await.is_err(), "the visibility CHECK stays");
    assert!(bad_snippet(raw, project, "no-such-user", "'mysql'", "project").await.is_err(), "its owner must exist");
    assert!(bad_snippet(raw, "no-such-project", owner, "'mysql'", "project").await.is_err(), "its project must exist");
}

/// Seeds a store at 0010, upgrades it, and checks what survived and what it now accepts; returns its schema.
async fn upgrade(store: Arc<dyn PlatformStore>, raw: Raw) -> Vec<String> {
    raw.migrate_to_0010().await;
    let seeded = seed(&store).await;
    let owner = raw.texts("SELECT id FROM users WHERE email = 'owner@example.com'").await.remove(0);
    // At 0010 the engines are a closed list.
    let project = &seeded.project.to_string();
    assert!(bad_snippet(&raw, project, &owner, "'mysql'", "project").await.is_err(), "0010 still lists the engines");
    assert!(bad_connection(&raw, project, "'mysql'", 3306, "ACTIVE").await.is_err(), "0010 still lists the engines");

    let rows = raw.dump().await;
    let schema = raw.schema().await;
    let constraints = raw.constraints().await;
    for table in ["database_connections", "snippets", "jobs", "audit_log", "projects", "users"] {
        assert!(rows.iter().any(|r| r.starts_with(&format!("{table}: "))), "seeded {table}");
    }

    store.migrate().await.unwrap();
    store.migrate().await.expect("migrations are idempotent");

    same("every row survives exactly", &rows, &raw.dump().await);
    same("columns, indexes, triggers, views and foreign keys are as they were", &schema, &raw.schema().await);
    let after = raw.constraints().await;
    let gone: Vec<&String> = constraints.difference(&after).collect();
    let added: Vec<&String> = after.difference(&constraints).collect();
    match &raw {
        Raw::Postgres(_) => {
            assert!(added.is_empty(), "{added:?}");
            assert_eq!(gone.len(), 2, "{gone:?}");
            assert!(gone[0].starts_with("database_connections database_connections_database_type_check: CHECK"));
            assert!(gone[1].starts_with("snippets snippets_engine_check: CHECK"));
        }
        Raw::Sqlite(_) => {
            // Only the two rebuilt tables' text changed, and only by the engine list.
            assert_eq!(gone.len(), 2, "{gone:?}");
            let changed: Vec<&str> = added.iter().map(|t| t.split(':').next().unwrap_or_default()).collect();
            assert_eq!(changed, ["database_connections", "snippets"], "{added:?}");
            for table in added {
                assert!(!table.contains("'mongodb'"), "{table}");
                assert_eq!(table.matches("CHECK").count(), if table.starts_with("snippets") { 1 } else { 2 });
            }
        }
    }
    assert_eq!(raw.foreign_key_violations().await, 0);

    // The store reads its rows as before.
    let connections = store.list_connections(seeded.project, None).await.unwrap();
    assert_eq!(connections.len(), 7);
    let full = connections.iter().find(|c| c.identifier == "pg-full").unwrap();
    assert_eq!((full.status, full.status_error.as_deref()), (ConnectionStatus::Error, Some("connection refused")));
    assert_eq!(full.viewer_username.as_deref(), Some("viewer"));
    assert_eq!(full.privileges, Some(json!({"superuser": false})));
    for engine in LISTED_BEFORE_0011 {
        let primary = store.find_primary_connection(seeded.project, engine).await.unwrap().unwrap();
        assert_eq!(primary.identifier, format!("{engine}-main"));
    }
    assert_eq!(store.list_snippets(seeded.project, seeded.dev).await.unwrap().len(), 3);

    mysql_rows_fit(&raw, seeded.project, &owner).await;
    other_constraints_hold(&raw, seeded.project, &owner).await;
    // One primary per project and engine, still.
    store.insert_connection(&connection(seeded.project, Engine::Redis, "redis-second", true)).await.unwrap();
    let redis_primaries =
        "SELECT count(*) FROM database_connections WHERE project_id = $1 AND database_type = 'redis' AND is_primary";
    assert_eq!(raw.count(redis_primaries, &[&seeded.project.to_string()]).await, 1);
    let all_primary =
        "UPDATE database_connections SET is_primary = TRUE WHERE project_id = $1 AND database_type = 'redis'";
    assert!(raw.exec(all_primary, &[&seeded.project.to_string()]).await.is_err());

    // Deleting a connection behaves as before: jobs and audit records keep its id.
    assert!(store.delete_connection(seeded.project, seeded.redis).await.unwrap());
    let kept = store.find_job(seeded.project, seeded.job).await.unwrap().unwrap();
    assert_eq!(kept.connection_id, Some(seeded.redis));
    assert_eq!(
        raw.count("SELECT count(*) FROM audit_log WHERE connection_id = $1", &[&seeded.redis.to_string()]).await,
        1
    );
    // Deleting a user takes their snippets; deleting a project takes its connections, snippets, jobs.
    assert_eq!(raw.exec("DELETE FROM users WHERE id = $1", &[&seeded.dev.to_string()]).await.unwrap(), 1);
    assert_eq!(raw.count("SELECT count(*) FROM snippets", &[]).await, 1);
    store.delete_project(seeded.project).await.unwrap();
    for table in ["database_connections", "snippets", "jobs"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE project_id = $1");
        assert_eq!(raw.count(&sql, &[&seeded.project.to_string()]).await, 0, "{table} cascades");
    }
    assert_eq!(raw.count("SELECT count(*) FROM database_connections", &[]).await, 3, "the other project keeps its own");
    assert_eq!(
        raw.count("SELECT count(*) FROM jobs WHERE project_id = $1", &[&seeded.other_project.to_string()]).await,
        1
    );
    assert_eq!(raw.foreign_key_violations().await, 0);
    schema
}

/// A store created from nothing ends with the same schema as an upgraded one, and takes a mysql row.
async fn from_zero(store: Arc<dyn PlatformStore>, raw: Raw, upgraded_schema: &[String]) {
    store.migrate().await.unwrap();
    same("a fresh store has the upgraded one's schema", upgraded_schema, &raw.schema().await);
    let owner = store.create_user("owner@example.com", "hash", true).await.unwrap();
    let org = store.create_organization("Acme", "acme", owner.id).await.unwrap();
    let project = store.create_project(org.id, "Shop", "shopref").await.unwrap();
    mysql_rows_fit(&raw, project.id, &owner.id.to_string()).await;
    other_constraints_hold(&raw, project.id, &owner.id.to_string()).await;
}

#[tokio::test]
async fn sqlite_store_upgrades_to_engines_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("platform.db").display());
    let schema = upgrade(store::connect(&url).await.unwrap(), Raw::sqlite(&url).await).await;

    let fresh = format!("sqlite://{}", dir.path().join("fresh.db").display());
    from_zero(store::connect(&fresh).await.unwrap(), Raw::sqlite(&fresh).await, &schema).await;
}

#[tokio::test]
async fn postgres_store_upgrades_to_engines_as_data() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE platform_upgrade");
    pg.psql("postgres", "CREATE DATABASE platform_fresh");
    let url = pg.url("platform_upgrade");
    let schema = upgrade(store::connect(&url).await.unwrap(), Raw::postgres(&url).await).await;

    let fresh = pg.url("platform_fresh");
    from_zero(store::connect(&fresh).await.unwrap(), Raw::postgres(&fresh).await, &schema).await;
}

/// The schema no longer refuses an unknown engine, so the API must: by route, body type or field.
#[tokio::test]
async fn unknown_engines_are_refused_where_they_enter() {
    use reqwest::StatusCode;
    let app = common::TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "m", "host": "h", "port": 1521});
    assert_eq!(app.post("/api/platform/oracle/default/connections", &admin, body).await.0, StatusCode::NOT_FOUND);
    let body = json!({"identifier": "m", "host": "h", "database_type": "oracle"});
    let (s, answer) = app.post("/api/platform/redis/default/connections", &admin, body).await;
    assert_eq!((s, &answer["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("VALIDATION_ERROR")), "{answer}");
    let body = json!({"name": "n", "engine": "oracle", "content": "SELECT 1 FROM dual"});
    let (s, answer) = app.post("/api/platform/projects/default/snippets", &admin, body).await;
    assert_eq!((s, &answer["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("VALIDATION_ERROR")), "{answer}");

    let url = format!("sqlite://{}", app.data_dir().join("switchboard.db").display());
    let raw = Raw::sqlite(&url).await;
    assert_eq!(raw.count("SELECT count(*) FROM database_connections", &[]).await, 0);
    assert_eq!(raw.count("SELECT count(*) FROM snippets", &[]).await, 0);
}
