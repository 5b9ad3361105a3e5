//! PostgreSQL objects beyond tables against a real server: roles (passwords as SCRAM verifiers that
//! work and never show), policies (expressions checked by the server), triggers, functions, types,
//! materialized views (refresh by developers), foreign keys, settings and version. Odd names
//! (mixed case, spaces, quotes, unicode, reserved words) work; injection through every name and
//! value field leaves the `victim` table and everything else as it was; `dry_run` changes nothing;
//! viewers read, and only admins change (developers may refresh a materialized view).

mod common;

use common::{Postgres, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BASE: &str = "/api/platform/pg-meta/default";

/// Names a hostile caller might use; each must come back exactly as given.
const ODD_NAMES: [&str; 5] =
    ["Mixed Case", "with \"quotes\" and 'apostrophes'", "ünïcødé 名前", "select", "x\"; DROP TABLE victim; --"];

struct Setup {
    pg: Postgres,
    app: TestApp,
    admin: String,
    viewer: String,
    developer: String,
}

async fn setup(fixture: &str) -> Setup {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE TABLE victim (id int PRIMARY KEY, note text); INSERT INTO victim VALUES (1, 'alive');");
    if !fixture.is_empty() {
        pg.psql("postgres", fixture);
    }
    let app = TestApp::start().await;
    let admin = app.admin_token().await;
    let body = json!({"identifier": "main", "host": "127.0.0.1", "port": pg.port, "database_name": "postgres",
                      "username": "postgres"});
    let (s, created) = app.post("/api/platform/postgres/default/connections", &admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let viewer = app.user_with_role(&admin, "viewer@example.com", "default", "viewer").await;
    let developer = app.user_with_role(&admin, "developer@example.com", "default", "developer").await;
    Setup { pg, app, admin, viewer, developer }
}

/// What a change could create or drop: relations, roles, policies, triggers, functions.
fn snapshot(pg: &Postgres) -> String {
    pg.psql(
        "postgres",
        "SELECT (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
                  WHERE relnamespace = 'public'::regnamespace) || ' | ' ||
                (SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles) || ' | ' ||
                COALESCE((SELECT string_agg(polname, ',' ORDER BY polname) FROM pg_policy), '') || ' | ' ||
                COALESCE((SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal), '')
                || ' | ' || (SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc
                              WHERE pronamespace = 'public'::regnamespace)",
    )
}

fn assert_victim_alive(pg: &Postgres) {
    assert_eq!(pg.psql("postgres", "SELECT note FROM victim WHERE id = 1"), "alive");
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, path, Some(token), Some(body)).await
}

fn find<'a>(list: &'a Value, key: &str, value: &str) -> Option<&'a Value> {
    list["data"].as_array().unwrap().iter().find(|item| item[key] == value)
}

/// Lets every login but `postgres` in only with its SCRAM password, so a password can be tested.
fn require_passwords(pg: &Postgres) {
    let hba = pg.dir().join("data/pg_hba.conf");
    let old = std::fs::read_to_string(&hba).unwrap();
    let lines = "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    std::fs::write(&hba, format!("{lines}{old}")).unwrap();
    pg.psql("postgres", "SELECT pg_reload_conf()");
}

async fn login(pg: &Postgres, user: &str, password: &str) -> Result<String, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config.host("127.0.0.1").port(pg.port).user(user).password(password).dbname("postgres");
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let row = client.query_one("SELECT current_user::text", &[]).await?;
    Ok(row.get(0))
}

#[tokio::test]
async fn roles_are_managed_by_admins_and_passwords_never_show() {
    let Setup { pg, app, admin, viewer, developer } = setup("").await;
    require_passwords(&pg);
    let roles = format!("{BASE}/roles");

    // Viewers read; nothing resembling a password is listed.
    let (s, list) = app.get(&roles, &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let postgres = find(&list, "name", "postgres").expect("postgres is listed");
    assert_eq!(postgres["is_superuser"], true);
    assert!(postgres["active_connections"].as_i64().unwrap() >= 1, "{postgres}");
    for field in [
        "id",
        "can_create_db",
        "can_create_role",
        "inherit_role",
        "can_login",
        "is_replication_role",
        "can_bypass_rls",
        "connection_limit",
        "valid_until",
        "config",
        "member_of",
    ] {
        assert!(postgres.get(field).is_some(), "{field} missing: {postgres}");
    }
    assert!(postgres.get("password").is_none(), "{postgres}");

    // Viewers and developers cannot change roles.
    let body = json!({"name": "nope", "can_login": true});
    for token in [&viewer, &developer] {
        let (s, r) = app.post(&roles, token, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }
    let postgres_id = postgres["id"].as_i64().unwrap();
    for token in [&viewer, &developer] {
        let (s, r) = patch(&app, &format!("{roles}/{postgres_id}"), token, json!({"can_login": false})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
        let (s, r) = app.delete(&format!("{roles}/{postgres_id}"), token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }

    let before = snapshot(&pg);
    let password = common::secret("sb-secret-role-pässword 'quoted'; DROP TABLE victim; --");
    let name = "App \"Login\" rôle";

    // A dry run shows the statement with the password masked, and creates nothing.
    let create = json!({"name": name, "password": password, "can_login": true, "connection_limit": 5,
                        "valid_until": "infinity", "member_of": ["pg_read_all_data"], "dry_run": true});
    let (s, dry) = app.post(&roles, &admin, create.clone()).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["dry_run"], true);
    let sql = dry["data"]["sql"].as_str().unwrap();
    assert_eq!(
        sql,
        "CREATE ROLE \"App \"\"Login\"\" rôle\" WITH LOGIN CONNECTION LIMIT 5 VALID UNTIL 'infinity' \
         PASSWORD '********' IN ROLE \"pg_read_all_data\";\n"
    );
    assert_eq!(snapshot(&pg), before);

    let mut real = create.clone();
    real["dry_run"] = json!(false);
    let (s, created) = app.post(&roles, &admin, real).await;
    assert_eq!(s, StatusCode::OK, "{created}");
    let role = &created["data"];
    assert_eq!(role["name"], name);
    assert_eq!(role["can_login"], true);
    assert_eq!(role["connection_limit"], 5);
    assert_eq!(role["valid_until"], "infinity");
    assert_eq!(role["member_of"], json!(["pg_read_all_data"]));
    let id = role["id"].as_i64().unwrap();
    let created_snapshot = snapshot(&pg);

    // The password works (and only it): PostgreSQL checks it against the SCRAM verifier.
    assert_eq!(login(&pg, name, &password).await.unwrap(), name);
    assert!(login(&pg, name, "not the password").await.is_err());
    // What PostgreSQL stored is a verifier, not the password.
    let stored = pg.psql("postgres", "SELECT rolpassword FROM pg_authid WHERE rolname = 'App \"Login\" rôle'");
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");

    // Change: rename, new password, other flags, memberships replaced.
    let role_path = format!("{roles}/{id}");
    let new_password = common::secret("sb-secret-second-password");
    let renamed = "Renamed Rôle";
    let change = json!({"name": renamed, "password": new_password, "can_create_db": true, "member_of": [],
                        "connection_limit": -1, "dry_run": true});
    let (s, dry) = patch(&app, &role_path, &admin, change.clone()).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(
        dry["data"]["sql"],
        "ALTER ROLE \"App \"\"Login\"\" rôle\" WITH CREATEDB CONNECTION LIMIT -1 PASSWORD '********';\n\
         REVOKE \"pg_read_all_data\" FROM \"App \"\"Login\"\" rôle\";\n\
         ALTER ROLE \"App \"\"Login\"\" rôle\" RENAME TO \"Renamed Rôle\";\n"
    );
    assert_eq!(snapshot(&pg), created_snapshot, "a dry run changed something");
    let mut real = change;
    real["dry_run"] = json!(false);
    let (s, changed) = patch(&app, &role_path, &admin, real).await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(changed["data"]["name"], renamed);
    assert_eq!(changed["data"]["can_create_db"], true);
    assert_eq!(changed["data"]["member_of"], json!([]));
    assert_eq!(login(&pg, renamed, &new_password).await.unwrap(), renamed);
    assert!(login(&pg, renamed, &password).await.is_err());
    let changed_snapshot = snapshot(&pg);

    // Bad input: a clear 400 naming the field.
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(64)}), "name"),
        (json!({"name": "ok", "connection_limit": -2}), "connection_limit"),
        (json!({"name": "ok", "password": ""}), "password"),
        (json!({"name": "ok", "member_of": [""]}), "member_of"),
        (json!({"name": "ok", "unknown": 1}), "unknown"),
    ] {
        let (s, r) = app.post(&roles, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {r}");
        assert!(r["error"]["message"].as_str().unwrap().contains(field), "{body}: {r}");
    }
    for hostile in [
        json!({"name": "ok", "valid_until": "'); DROP TABLE victim; --"}),
        json!({"name": "ok", "member_of": ["x\"; DROP TABLE victim; --"]}),
        json!({"name": "ok", "connection_limit": "1; DROP TABLE victim"}),
        json!({"name": "ok", "can_login": "true; DROP TABLE victim"}),
    ] {
        let (s, r) = app.post(&roles, &admin, hostile.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{hostile}: {r}");
    }
    assert_eq!(snapshot(&pg), changed_snapshot, "a refused role changed something");
    let (s, r) = patch(&app, &format!("{roles}/abc"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    let (s, r) = patch(&app, &format!("{roles}/4000000000"), &admin, json!({"can_login": true})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{r}");

    // Every odd name round-trips.
    for odd in ODD_NAMES {
        let (s, r) = app.post(&roles, &admin, json!({"name": odd})).await;
        assert_eq!(s, StatusCode::OK, "{odd}: {r}");
        assert_eq!(r["data"]["name"], odd);
        let (s, r) = app.delete(&format!("{roles}/{}", r["data"]["id"]), &admin).await;
        assert_eq!(s, StatusCode::OK, "{odd}: {r}");
    }

    // Drop: a dry run keeps it; then it goes; then it is not found.
    let (s, dry) = app.delete(&format!("{role_path}?dry_run=true"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["data"]["sql"], "DROP ROLE \"Renamed Rôle\";\n");
    assert!(login(&pg, renamed, &new_password).await.is_ok());
    let (s, r) = app.delete(&role_path, &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app.delete(&role_path, &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{r}");
    assert_eq!(snapshot(&pg), before, "only what the test created and dropped changed");
    assert_victim_alive(&pg);

    // Neither password appears in any response, the audit trail or the server log (the log is
    // checked for every registered secret when the app stops).
    let (s, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let trail = audit.to_string();
    assert!(trail.contains("create_role"), "{trail}");
    for text in [&trail, &created.to_string(), &changed.to_string(), &dry.to_string(), &app.log()] {
        assert!(!text.contains(&password) && !text.contains(&new_password), "a password leaked");
    }
}

#[tokio::test]
async fn policies_take_odd_names_and_only_one_expression_each() {
    let Setup { pg, app, admin, viewer, developer } = setup(
        "CREATE TABLE \"Odd Table\" (id int, owner text, amount int);
         ALTER TABLE \"Odd Table\" ENABLE ROW LEVEL SECURITY;
         CREATE ROLE reader;",
    )
    .await;
    let table_id: i64 = pg.psql("postgres", "SELECT '\"Odd Table\"'::regclass::oid::int8").parse().unwrap();
    let policies = format!("{BASE}/policies");

    let create = json!({"table_id": table_id, "name": "owner only", "action": "RESTRICTIVE", "command": "UPDATE",
                        "roles": ["reader", "postgres"], "definition": "owner = current_user",
                        "check": "amount > 0"});
    for token in [&viewer, &developer] {
        let (s, r) = app.post(&policies, token, create.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }
    let before = snapshot(&pg);
    let mut dry = create.clone();
    dry["dry_run"] = json!(true);
    let (s, r) = app.post(&policies, &admin, dry).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        r["data"]["sql"],
        "CREATE POLICY \"owner only\" ON \"public\".\"Odd Table\" AS RESTRICTIVE FOR UPDATE TO \"reader\", \"postgres\" \
         USING (owner = current_user\n) WITH CHECK (amount > 0\n);\n"
    );
    assert_eq!(snapshot(&pg), before);

    let (s, r) = app.post(&policies, &admin, create).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let policy = &r["data"];
    assert_eq!(policy["name"], "owner only");
    assert_eq!(policy["schema"], "public");
    assert_eq!(policy["table"], "Odd Table");
    assert_eq!(policy["table_id"], table_id);
    assert_eq!(policy["action"], "RESTRICTIVE");
    assert_eq!(policy["command"], "UPDATE");
    assert_eq!(policy["roles"], json!(["postgres", "reader"]));
    assert_eq!(policy["definition"], "(owner = CURRENT_USER)");
    assert_eq!(policy["check"], "(amount > 0)");
    let id = policy["id"].as_i64().unwrap();

    let (s, list) = app.get(&format!("{policies}?included_schemas=public"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert!(find(&list, "name", "owner only").is_some(), "{list}");
    let (s, list) = app.get(&format!("{policies}?excluded_schemas=public"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert!(find(&list, "name", "owner only").is_none(), "{list}");

    // Odd names, each renamed to the next.
    let path = format!("{policies}/{id}");
    for odd in ODD_NAMES {
        let (s, r) = patch(&app, &path, &admin, json!({"name": odd})).await;
        assert_eq!(s, StatusCode::OK, "{odd}: {r}");
        assert_eq!(r["data"]["name"], odd);
    }
    let (s, r) = patch(&app, &path, &admin, json!({"roles": ["public"], "definition": "id > 1"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["data"]["roles"], json!(["public"]));
    assert_eq!(r["data"]["definition"], "(id > 1)");
    assert_eq!(r["data"]["check"], "(amount > 0)");

    // Anything but one expression over the table is refused before anything runs.
    let before = snapshot(&pg);
    let hostile = [
        "true); DROP TABLE victim; --",
        "true) WITH CHECK (true",
        "true) FROM victim --",
        "1) FROM \"Odd Table\" UNION SELECT (1",
        "(SELECT true FROM victim)) OR (true",
        "no_such_column = 1",
        "1",
        "'); DROP TABLE victim; --",
        "true /*",
        "$$",
        "",
    ];
    for text in hostile {
        for field in ["definition", "check"] {
            let body = json!({"table_id": table_id, "name": "evil", "command": "ALL", field: text});
            let (s, r) = app.post(&policies, &admin, body).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{field} = {text}: {r}");
            let (s, r) = patch(&app, &path, &admin, json!({ field: text })).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{field} = {text}: {r}");
        }
    }
    for (field, value) in
        [("name", json!("")), ("roles", json!(["nobody\"; DROP TABLE victim; --"])), ("roles", json!([]))]
    {
        let (s, r) = patch(&app, &path, &admin, json!({ field: value })).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{field}: {r}");
    }
    let (s, r) = app.post(&policies, &admin, json!({"table_id": 4000000000_u32, "name": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{r}");
    let (s, r) = app.post(&policies, &admin, json!({"table_id": table_id, "name": "x", "command": "MERGE"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(snapshot(&pg), before, "a refused change changed something");
    assert_victim_alive(&pg);

    for token in [&viewer, &developer] {
        let (s, r) = app.delete(&path, token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }
    let (s, r) = app.delete(&format!("{path}?dry_run=true"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(snapshot(&pg), before);
    let (s, r) = app.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{r}");
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM pg_policy"), "0");
    assert_victim_alive(&pg);
}

#[tokio::test]
async fn triggers_take_odd_names_and_refuse_injection() {
    let Setup { pg, app, admin, viewer, developer } = setup(
        "CREATE TABLE items (id int, n int, note text);
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN NEW.note := TG_ARGV[0]; RETURN NEW; END $$;",
    )
    .await;
    let table_id: i64 = pg.psql("postgres", "SELECT 'items'::regclass::oid::int8").parse().unwrap();
    let triggers = format!("{BASE}/triggers");
    let body = |name: &str| {
        json!({"table_id": table_id, "name": name, "function_schema": "public", "function_name": "touch",
               "function_args": ["it's \\ 'quoted'"], "activation": "BEFORE", "events": ["INSERT", "UPDATE"],
               "orientation": "ROW", "condition": "NEW.n > 0"})
    };
    for token in [&viewer, &developer] {
        let (s, r) = app.post(&triggers, token, body("t")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }
    let before = snapshot(&pg);
    let mut dry = body("Odd \"Trigger\"");
    dry["dry_run"] = json!(true);
    let (s, r) = app.post(&triggers, &admin, dry).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        r["data"]["sql"],
        "CREATE TRIGGER \"Odd \"\"Trigger\"\"\" BEFORE INSERT OR UPDATE ON \"public\".\"items\" FOR EACH ROW \
         WHEN (NEW.n > 0\n) EXECUTE FUNCTION \"public\".\"touch\"(E'it''s \\\\ ''quoted''');\n"
    );
    assert_eq!(snapshot(&pg), before);

    let mut ids = Vec::new();
    for odd in ODD_NAMES {
        let (s, r) = app.post(&triggers, &admin, body(odd)).await;
        assert_eq!(s, StatusCode::OK, "{odd}: {r}");
        let t = &r["data"];
        assert_eq!(t["name"], odd);
        assert_eq!(t["table"], "items");
        assert_eq!(t["table_id"], table_id);
        assert_eq!(t["schema"], "public");
        assert_eq!(t["function_schema"], "public");
        assert_eq!(t["function_name"], "touch");
        assert_eq!(t["function_args"], json!(["it's \\ 'quoted'"]));
        assert_eq!(t["events"], json!(["INSERT", "UPDATE"]));
        assert_eq!(t["activation"], "BEFORE");
        assert_eq!(t["orientation"], "ROW");
        assert_eq!(t["enabled_mode"], "ORIGIN");
        assert_eq!(t["condition"], "(new.n > 0)");
        ids.push(t["id"].as_i64().unwrap());
    }
    // The trigger runs with its argument intact.
    pg.psql("postgres", "INSERT INTO items VALUES (1, 5, NULL)");
    assert_eq!(pg.psql("postgres", "SELECT note FROM items"), "it's \\ 'quoted'");

    let (s, list) = app.get(&format!("{triggers}?included_schemas=public"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["data"].as_array().unwrap().len(), ODD_NAMES.len(), "{list}");

    let before = snapshot(&pg);
    let mut hostile = vec![
        ("condition", json!("NEW.n > 0); DROP TABLE victim; --")),
        ("condition", json!("true) EXECUTE FUNCTION pg_terminate_backend(1) --")),
        ("condition", json!("")),
        ("name", json!("")),
        ("function_name", json!("touch\"(); DROP TABLE victim; --")),
        ("function_schema", json!("public\".\"touch")),
        ("events", json!([])),
        ("events", json!(["INSERT; DROP TABLE victim"])),
        ("activation", json!("AFTER; DROP TABLE victim")),
        ("orientation", json!("ROW'")),
        ("table_id", json!(4000000000_u32)),
    ];
    hostile.push(("function_args", json!(["'); DROP TABLE victim; --\0"])));
    for (field, value) in hostile {
        let mut b = body("evil");
        b[field] = value.clone();
        let (s, r) = app.post(&triggers, &admin, b).await;
        assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND, "{field} = {value}: {s} {r}");
    }
    assert_eq!(snapshot(&pg), before, "a refused trigger changed something");
    assert_victim_alive(&pg);

    let path = format!("{triggers}/{}", ids[0]);
    for token in [&viewer, &developer] {
        let (s, r) = app.delete(&path, token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    }
    let (s, r) = app.delete(&format!("{path}?dry_run=true&cascade=true"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["data"]["sql"], "DROP TRIGGER \"Mixed Case\" ON \"public\".\"items\" CASCADE;\n");
    assert_eq!(snapshot(&pg), before);
    for id in &ids {
        let (s, r) = app.delete(&format!("{triggers}/{id}"), &admin).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let (s, r) = app.delete(&path, &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{r}");
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"), "0");
    assert_victim_alive(&pg);
}

#[tokio::test]
async fn catalog_listings_and_materialized_view_refresh() {
    let Setup { pg, app, admin, viewer, developer } = setup(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
         CREATE TYPE pair AS (a int4, b text);
         CREATE TABLE parent (id int PRIMARY KEY, code text, UNIQUE (id, code));
         CREATE TABLE child (id int, parent_id int, parent_code text,
           CONSTRAINT child_parent FOREIGN KEY (parent_id, parent_code) REFERENCES parent (id, code)
             ON DELETE CASCADE ON UPDATE SET NULL);
         CREATE FUNCTION add(a int4, b int4 DEFAULT 2, OUT total int4) LANGUAGE sql IMMUTABLE SECURITY DEFINER
           SET search_path = public AS 'SELECT a + b';
         CREATE FUNCTION rows_of(n int) RETURNS SETOF parent LANGUAGE sql STABLE AS 'SELECT * FROM parent LIMIT n';
         CREATE AGGREGATE total_of(int4) (SFUNC = int4pl, STYPE = int4);
         CREATE MATERIALIZED VIEW parent_codes AS SELECT id, code FROM parent WITH NO DATA;
         CREATE UNIQUE INDEX ON parent_codes (id);
         INSERT INTO parent VALUES (1, 'a');",
    )
    .await;

    // Functions.
    let (s, list) = app.get(&format!("{BASE}/functions?included_schemas=public"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let add = find(&list, "name", "add").expect("add is listed");
    assert_eq!(add["schema"], "public");
    assert_eq!(add["language"], "sql");
    assert_eq!(add["definition"], "SELECT a + b");
    assert!(add["complete_statement"].as_str().unwrap().starts_with("CREATE OR REPLACE FUNCTION public.add("));
    assert_eq!(
        add["args"],
        json!([
            {"mode": "in", "name": "a", "type_id": 23, "type": "integer", "has_default": false},
            {"mode": "in", "name": "b", "type_id": 23, "type": "integer", "has_default": true},
            {"mode": "out", "name": "total", "type_id": 23, "type": "integer", "has_default": false},
        ])
    );
    assert_eq!(add["argument_types"], "a integer, b integer DEFAULT 2, OUT total integer");
    assert_eq!(add["identity_argument_types"], "a integer, b integer, OUT total integer");
    assert_eq!(add["return_type"], "integer");
    assert_eq!(add["behavior"], "IMMUTABLE");
    assert_eq!(add["security_definer"], true);
    assert_eq!(add["is_set_returning_function"], false);
    assert_eq!(add["config_params"], json!({"search_path": "public"}));
    let rows_of = find(&list, "name", "rows_of").unwrap();
    assert_eq!(rows_of["is_set_returning_function"], true);
    assert_eq!(rows_of["behavior"], "STABLE");
    let parent_id: i64 = pg.psql("postgres", "SELECT 'parent'::regclass::oid::int8").parse().unwrap();
    assert_eq!(rows_of["return_type_relation_id"], parent_id);
    let aggregate = find(&list, "name", "total_of").unwrap();
    assert_eq!(aggregate["complete_statement"], Value::Null);
    let (s, list) = app.get(&format!("{BASE}/functions?excluded_schemas=public"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert!(find(&list, "name", "add").is_none());

    // Types: enum labels in their order, composite attributes.
    let (s, list) = app.get(&format!("{BASE}/types?included_schemas=public"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let mood = find(&list, "name", "mood").unwrap();
    assert_eq!(mood["enums"], json!(["sad", "meh", "ok", "happy"]));
    assert_eq!(mood["schema"], "public");
    assert_eq!(mood["format"], "mood");
    assert!(mood.get("comment").is_some());
    let pair = find(&list, "name", "pair").unwrap();
    assert_eq!(
        pair["attributes"],
        json!([{"name": "a", "type_id": 23, "type": "integer"},
                                         {"name": "b", "type_id": 25, "type": "text"}])
    );
    assert!(find(&list, "name", "parent").is_none(), "a table's row type is not a type here: {list}");
    assert!(find(&list, "name", "_mood").is_none(), "array types are left out: {list}");

    // Foreign keys, columns in key order.
    let (s, list) = app.get(&format!("{BASE}/foreign-keys"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let child_id: i64 = pg.psql("postgres", "SELECT 'child'::regclass::oid::int8").parse().unwrap();
    let fk = find(&list, "constraint_name", "child_parent").unwrap();
    assert_eq!(fk["source_schema"], "public");
    assert_eq!(fk["source_table_name"], "child");
    assert_eq!(fk["source_table_id"], child_id);
    assert_eq!(fk["source_columns"], json!(["parent_id", "parent_code"]));
    assert_eq!(fk["target_table_schema"], "public");
    assert_eq!(fk["target_table_name"], "parent");
    assert_eq!(fk["target_table_id"], parent_id);
    assert_eq!(fk["target_columns"], json!(["id", "code"]));
    assert_eq!(fk["on_delete"], "CASCADE");
    assert_eq!(fk["on_update"], "SET NULL");
    assert!(fk["id"].as_i64().is_some());

    // Settings and version.
    let (s, list) = app.get(&format!("{BASE}/config"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let timeout = find(&list, "name", "statement_timeout").unwrap();
    assert_eq!(timeout["unit"], "ms");
    assert_eq!(timeout["vartype"], "integer");
    assert_eq!(timeout["context"], "user");
    for field in ["setting", "category", "short_desc", "source", "min_val", "max_val", "enumvals", "pending_restart"] {
        assert!(timeout.get(field).is_some(), "{field}: {timeout}");
    }
    let (s, version) = app.get(&format!("{BASE}/version"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{version}");
    assert!(version["data"]["version"].as_str().unwrap().starts_with("PostgreSQL "), "{version}");
    assert!(version["data"]["version_number"].as_i64().unwrap() >= 100000, "{version}");
    assert!(version["data"]["active_connections"].as_i64().unwrap() >= 1, "{version}");
    assert!(version["data"]["max_connections"].as_i64().unwrap() >= 1, "{version}");

    // Materialized views: listed (columns on request), refreshed by developers, not viewers.
    let views = format!("{BASE}/materialized-views");
    let (s, list) = app.get(&views, &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let view = find(&list, "name", "parent_codes").unwrap();
    assert_eq!(view["is_populated"], false);
    assert!(view["definition"].as_str().unwrap().contains("FROM parent"), "{view}");
    assert!(view.get("columns").is_none(), "{view}");
    let (s, list) = app.get(&format!("{views}?include_columns=true&included_schemas=public"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let columns = &find(&list, "name", "parent_codes").unwrap()["columns"];
    let names: Vec<&str> = columns.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["id", "code"]);

    let refresh = format!("{views}/{}/refresh", view["id"]);
    let (s, r) = app.post(&refresh, &viewer, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    let (s, r) = app.post(&refresh, &developer, json!({"dry_run": true})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["data"]["sql"], "REFRESH MATERIALIZED VIEW \"public\".\"parent_codes\";\n");
    assert_eq!(pg.psql("postgres", "SELECT relispopulated FROM pg_class WHERE relname = 'parent_codes'"), "f");
    let (s, r) = app.post(&refresh, &developer, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["data"]["is_populated"], true);
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM parent_codes"), "1");
    pg.psql("postgres", "INSERT INTO parent VALUES (2, 'b')");
    let (s, r) = app.post(&refresh, &admin, json!({"concurrently": true})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(pg.psql("postgres", "SELECT count(*) FROM parent_codes"), "2");
    let (s, r) = app.post(&format!("{views}/{parent_id}/refresh"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a table is not a materialized view: {r}");

    // Refreshes are audited.
    let (s, audit) = app.get("/api/platform/projects/default/audit", &admin).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert!(audit.to_string().contains("refresh_materialized_view"), "{audit}");
    assert_victim_alive(&pg);
}
