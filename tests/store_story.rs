//! One story through the platform store, run against both backends: SQLite and PostgreSQL.

mod common;

use std::sync::Arc;

use common::Postgres;
use serde_json::json;
use switchboard::crypto::{KeyId, Sealed};
use switchboard::domain::{ConnectionId, ConnectionStatus, Engine, Role, UserId};
use switchboard::store::{
    self, AuditEntry, AuditFilter, AuditNoted, ConnectionHealth, ConnectionRecord, PlatformStore, StoreError,
};
use time::OffsetDateTime;

fn connection(
    project: switchboard::domain::ProjectId,
    engine: Engine,
    identifier: &str,
    primary: bool,
) -> ConnectionRecord {
    let now = OffsetDateTime::now_utc();
    ConnectionRecord {
        id: ConnectionId::new(),
        project_id: project,
        engine,
        identifier: identifier.into(),
        host: "db.internal".into(),
        port: 5432,
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

async fn story(store: Arc<dyn PlatformStore>) {
    store.migrate().await.unwrap();
    store.migrate().await.expect("migrations are idempotent");
    store.ping().await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);

    let owner = store.create_user("owner@example.com", "hash", true).await.unwrap();
    let dev = store.create_user("dev@example.com", "hash", false).await.unwrap();
    assert!(matches!(store.create_user("dev@example.com", "h", false).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.find_credentials("dev@example.com").await.unwrap().unwrap().password_hash, "hash");
    assert_eq!(store.find_user(owner.id).await.unwrap().unwrap().email, "owner@example.com");
    assert!(store.find_user(UserId::new()).await.unwrap().is_none());

    let org = store.create_organization("Acme", "acme", owner.id).await.unwrap();
    assert!(matches!(store.create_organization("Acme 2", "acme", owner.id).await, Err(StoreError::Conflict(_))));
    let project = store.create_project(org.id, "Shop", "shopref").await.unwrap();
    assert_eq!(project.organization_slug, "acme");
    assert!(matches!(store.create_project(org.id, "Again", "shopref").await, Err(StoreError::Conflict(_))));

    // Roles: the organization owner is owner everywhere; others need membership.
    assert_eq!(store.find_project("shopref", owner.id).await.unwrap().unwrap().role, Some(Role::Owner));
    assert_eq!(store.find_project("shopref", dev.id).await.unwrap().unwrap().role, None);
    store.put_member(project.id, dev.id, Role::Viewer).await.unwrap();
    store.put_member(project.id, dev.id, Role::Developer).await.unwrap();
    assert_eq!(store.find_project("shopref", dev.id).await.unwrap().unwrap().role, Some(Role::Developer));
    // The member list names the organization's owner first, as `owner`.
    let members = store.list_members(project.id).await.unwrap();
    let roles: Vec<(UserId, Role)> = members.iter().map(|m| (m.user_id, m.role)).collect();
    assert_eq!(roles, vec![(owner.id, Role::Owner), (dev.id, Role::Developer)]);
    assert_eq!(store.list_projects(dev.id, false).await.unwrap().len(), 1);
    assert_eq!(store.list_organizations(dev.id, false).await.unwrap().len(), 1);
    let stranger = store.create_user("x@example.com", "h", false).await.unwrap();
    assert!(store.list_projects(stranger.id, false).await.unwrap().is_empty());
    assert_eq!(store.list_projects(stranger.id, true).await.unwrap().len(), 1);

    // Console sessions, stored by the hash of their id; disabling and token revocation.
    let now = OffsetDateTime::now_utc();
    let session = store::ConsoleSession {
        user_id: dev.id,
        csrf_token: "csrf".into(),
        user_agent: Some("story".into()),
        created_at: now,
        last_seen_at: now,
        idle_expires_at: now + time::Duration::hours(12),
        expires_at: now + time::Duration::days(7),
    };
    store.insert_session("hash-1", &session).await.unwrap();
    store.insert_session("hash-2", &session).await.unwrap();
    let later = now + time::Duration::minutes(5);
    store.touch_session("hash-1", later, later + time::Duration::hours(12)).await.unwrap();
    let found = store.find_session("hash-1").await.unwrap().unwrap();
    assert_eq!((found.user_id, found.csrf_token.as_str()), (dev.id, "csrf"));
    assert!(found.last_seen_at > found.created_at && found.idle_expires_at > session.idle_expires_at);
    assert!(store.delete_session("hash-1").await.unwrap());
    assert!(store.find_session("hash-1").await.unwrap().is_none());
    assert_eq!(store.delete_user_sessions(dev.id).await.unwrap(), 1);
    store.prune_sessions(now).await.unwrap();
    assert!(store.set_user_disabled(stranger.id, true).await.unwrap());
    store.revoke_user_tokens(stranger.id, 1234).await.unwrap();
    let listed = store.list_users().await.unwrap();
    let disabled = listed.iter().find(|u| u.id == stranger.id).unwrap();
    assert!(disabled.disabled && disabled.tokens_valid_after == Some(1234));
    assert!(store.set_user_disabled(stranger.id, false).await.unwrap());
    assert!(store.set_user_password(stranger.id, "h2").await.unwrap());
    assert!(!store.find_user(stranger.id).await.unwrap().unwrap().disabled);

    // Connections: one primary per engine, unique identifiers, round-tripped fields.
    let a = connection(project.id, Engine::Redis, "cache-a", true);
    let b = connection(project.id, Engine::Redis, "cache-b", true);
    let pg = connection(project.id, Engine::Postgres, "main", true);
    store.insert_connection(&a).await.unwrap();
    store.insert_connection(&b).await.unwrap();
    store.insert_connection(&pg).await.unwrap();
    let dup = connection(project.id, Engine::Mongodb, "main", false);
    assert!(matches!(store.insert_connection(&dup).await, Err(StoreError::Conflict(_))));
    let primary = store.find_primary_connection(project.id, Engine::Redis).await.unwrap().unwrap();
    assert_eq!(primary.id, b.id, "making b primary demoted a");
    assert_eq!(store.list_connections(project.id, Some(Engine::Redis)).await.unwrap().len(), 2);
    assert_eq!(store.list_connections(project.id, None).await.unwrap().len(), 3);
    let loaded = store.find_connection(project.id, a.id).await.unwrap().unwrap();
    assert_eq!(loaded.password, a.password);
    assert_eq!(loaded.options, json!({"pool_size": 5}));
    assert_eq!(loaded.port, 5432);

    let mut a2 = loaded.clone();
    a2.is_primary = true;
    a2.identifier = "cache-main".into();
    a2.updated_at = OffsetDateTime::now_utc();
    store.update_connection(&a2).await.unwrap();
    assert_eq!(
        store.find_primary_connection(project.id, Engine::Redis).await.unwrap().unwrap().identifier,
        "cache-main"
    );
    let failed = ConnectionHealth {
        status: ConnectionStatus::Error,
        error: Some("connection refused".into()),
        checked_at: OffsetDateTime::now_utc(),
    };
    store.set_connection_health(a.id, &failed).await.unwrap();
    let found = store.find_connection(project.id, a.id).await.unwrap().unwrap();
    assert_eq!(found.status, ConnectionStatus::Error);
    assert_eq!(found.status_error.as_deref(), Some("connection refused"));
    assert!(found.status_checked_at.is_some());
    let to_check = store.connections_to_check(None, 100).await.unwrap();
    assert!(to_check.iter().any(|c| c.id == a.id), "the health check's work list holds every connection");
    let after_a = store.connections_to_check(Some(a.id), 100).await.unwrap();
    assert!(after_a.iter().all(|c| c.id.to_string() > a.id.to_string()), "paged by id");
    assert!(store.delete_connection(project.id, b.id).await.unwrap());
    assert!(!store.delete_connection(project.id, b.id).await.unwrap());

    let audit = AuditEntry {
        at: OffsetDateTime::now_utc(),
        user_id: Some(owner.id),
        project_ref: Some("shopref".into()),
        engine: Some("redis".into()),
        connection_id: Some(a.id),
        action: "DELETE /api/platform/redis/{ref}/connections/{id}".into(),
        target: Some("cache-b".into()),
        outcome: "pending".into(),
        status: None,
        request_id: Some("r1".into()),
        client_addr: Some("127.0.0.1".into()),
        token_id: None,
        details: None,
    };
    let first = store.insert_audit(&audit).await.unwrap();
    let second = store
        .insert_audit(&AuditEntry { user_id: Some(dev.id), action: "POST /x".into(), ..audit.clone() })
        .await
        .unwrap();
    assert!(second > first);
    let noted = AuditNoted {
        target: Some("cache-b (renamed)".into()),
        connection_id: None,
        details: Some(json!({"identifier": "cache-b"})),
    };
    store.finish_audit(first, "ok", 204, &noted).await.unwrap();
    let all = store
        .list_audit(&AuditFilter { project_ref: Some("shopref".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), vec![second, first], "newest first");
    assert_eq!(all[1].entry.outcome, "ok");
    assert_eq!(all[1].entry.status, Some(204));
    assert_eq!(all[1].entry.target.as_deref(), Some("cache-b (renamed)"), "the handler's note names the target");
    assert_eq!(all[1].entry.details, Some(json!({"identifier": "cache-b"})));
    assert_eq!(all[1].entry.connection_id, Some(a.id), "a note without a connection keeps the request's");
    let by_outcome = store
        .list_audit(&AuditFilter {
            outcome: Some("ok".into()),
            engine: Some("redis".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_outcome.iter().map(|r| r.id).collect::<Vec<_>>(), vec![first]);
    let by_target = store
        .list_audit(&AuditFilter { target: Some("renamed".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(by_target.iter().map(|r| r.id).collect::<Vec<_>>(), vec![first]);
    let elsewhere = store
        .list_audit(&AuditFilter { project_ref: Some("other".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert!(elsewhere.is_empty());
    let by_dev = store
        .list_audit(&AuditFilter {
            project_ref: Some("shopref".into()),
            user_id: Some(dev.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_dev.len(), 1);
    let by_action = store
        .list_audit(&AuditFilter {
            project_ref: Some("shopref".into()),
            action: Some("connections".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_action.len(), 1);
    let older = store
        .list_audit(&AuditFilter {
            project_ref: Some("shopref".into()),
            before_id: Some(second),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(older.len(), 1);
    let future = OffsetDateTime::now_utc() + time::Duration::hours(1);
    assert!(store
        .list_audit(&AuditFilter {
            project_ref: Some("shopref".into()),
            since: Some(future),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .list_audit(&AuditFilter {
                project_ref: Some("shopref".into()),
                until: Some(future),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        2
    );

    // Deleting a project takes its members and connections with it.
    assert!(store.remove_member(project.id, dev.id).await.unwrap());
    store.delete_project(project.id).await.unwrap();
    assert!(store.find_project("shopref", owner.id).await.unwrap().is_none());
    assert!(store.find_connection(project.id, a.id).await.unwrap().is_none());
    store.close().await;
}

#[tokio::test]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("platform.db").display());
    story(store::connect(&url).await.unwrap()).await;
}

#[tokio::test]
async fn story_on_postgres() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE platform_story");
    story(store::connect(&pg.url("platform_story")).await.unwrap()).await;
    // Everything lives in schema `platform`, nothing in `public`.
    let tables = pg.psql("platform_story", "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'platform'");
    assert!(tables.contains("database_connections") && tables.contains("audit_log"), "{tables}");
    let public =
        pg.psql("platform_story", "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'");
    assert_eq!(public, "0");
}

#[tokio::test]
async fn server_runs_on_a_postgres_platform_store() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE platform_app");
    let app = common::TestApp::start_with(common::AppOptions {
        platform_db: Some(pg.url("platform_app")),
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    let (s, body) = app.get("/api/platform/projects/default", &admin).await;
    assert_eq!(s, reqwest::StatusCode::OK, "{body}");
    let (s, _) =
        app.post("/api/platform/redis/default/connections", &admin, json!({"identifier": "c", "host": "h"})).await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    assert_eq!(pg.psql("platform_app", "SELECT identifier FROM platform.database_connections"), "c");
}

#[tokio::test]
async fn a_locked_sqlite_store_answers_503_then_recovers() {
    use sqlx::Connection;
    let app = common::TestApp::start().await;
    // Another process holding the write lock: the server's next write waits out its busy timeout.
    let db = app.data_dir().join("switchboard.db");
    let mut holder = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();

    // Signing in counts the attempt in the store, a write.
    let credentials = json!({"email": common::ADMIN_EMAIL, "password": common::ADMIN_PASSWORD});
    let (s, body) = app.call(reqwest::Method::POST, "/api/auth/token", None, Some(credentials.clone())).await;
    assert_eq!(s, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE");
    assert!(!body["error"]["message"].as_str().unwrap().contains("locked"), "the cause stays in the log: {body}");

    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    let (s, body) = app.call(reqwest::Method::POST, "/api/auth/token", None, Some(credentials)).await;
    assert_eq!(s, reqwest::StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_stopped_postgres_store_answers_503() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE platform_down");
    let app = common::TestApp::start_with(common::AppOptions {
        platform_db: Some(pg.url("platform_down")),
        ..Default::default()
    })
    .await;
    let admin = app.admin_token().await;
    assert_eq!(app.get("/api/platform/projects", &admin).await.0, reqwest::StatusCode::OK);

    drop(pg);
    let (s, body) = app.get("/api/platform/projects", &admin).await;
    assert_eq!(s, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE");
}
