//! The MariaDB/MySQL engine's core (`engines::mysql`) against a real MariaDB the harness starts.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::backends::{MARIADB_DATABASE, MARIADB_PASSWORD, MARIADB_USER};
use common::MariaDb;
use secrecy::SecretString;
use serde_json::{json, Value};
use switchboard::engines::mysql::query::{read, write, QueryRequest, QueryResult};
use switchboard::engines::mysql::{activity, catalog, connect, MysqlClient, MysqlTarget, MysqlTls, ServerKind};
use switchboard::engines::EngineError;

/// Starts a MariaDB, one at a time in this process and again if the install trips over another
/// one running on the machine (they share the temporary directory).
fn start_mariadb() -> MariaDb {
    static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..2 {
        if let Ok(db) = std::panic::catch_unwind(MariaDb::start) {
            return db;
        }
    }
    MariaDb::start()
}

fn target(db: &MariaDb, pool_max: usize, statement_timeout_ms: u64) -> MysqlTarget {
    MysqlTarget {
        addr: SocketAddr::from(([127, 0, 0, 1], db.port)),
        host: "127.0.0.1".into(),
        user: MARIADB_USER.into(),
        password: SecretString::from(MARIADB_PASSWORD.to_string()),
        database: Some(MARIADB_DATABASE.into()),
        tls: MysqlTls::Disable,
        pool_max,
        connect_timeout: Duration::from_secs(10),
        statement_timeout_ms,
    }
}

async fn w(client: &MysqlClient, sql: &str) -> Result<QueryResult, EngineError> {
    write(client, QueryRequest { sql, row_cap: 1000 }).await
}

async fn r(client: &MysqlClient, sql: &str) -> Result<QueryResult, EngineError> {
    read(client, QueryRequest { sql, row_cap: 1000 }).await
}

fn code(err: &EngineError) -> Value {
    match err {
        EngineError::Query { details: Some(d), .. } => d["code"].clone(),
        other => panic!("not a query error: {other:?}"),
    }
}

/// Waits until `check` holds, for up to `limit`.
async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

const EVERY_TYPE: &str = "CREATE TABLE every_type (
    id INT PRIMARY KEY, ti TINYINT, si SMALLINT, mi MEDIUMINT, i INT, bi BIGINT, ubi BIGINT UNSIGNED,
    dec65 DECIMAL(65,30), dsmall DECIMAL(10,2), f FLOAT, d DOUBLE,
    dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME, tm6 TIME(6), yr YEAR,
    j JSON, b BLOB, vb VARBINARY(16), bn BINARY(4), bt BIT(10), e ENUM('a','b'), st SET('x','y','z'),
    vc VARCHAR(20), tx TEXT)";

#[tokio::test]
async fn values_catalog_and_errors() {
    let db = start_mariadb();
    let all_bytes: String = (0u8..=255).map(|b| format!("{b:02x}")).collect();
    db.sql(
        MARIADB_DATABASE,
        &format!(
            "SET time_zone = '+00:00'; {EVERY_TYPE};
             INSERT INTO every_type VALUES (1, -128, -32768, -8388608, -2147483648, -9223372036854775808,
               18446744073709551615, '12345678901234567890123456789012345.123456789012345678901234567890', 12.50,
               1.1, 2.2, '2024-01-02', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5', '-838:59:59',
               '12:34:56.789', 2024, '{{\"a\": [1, 2, {{\"b\": null}}]}}', x'{all_bytes}', x'00ff', x'01020304',
               b'1000000101', 'b', 'z,x', 'héllo', 'text');
             INSERT INTO every_type (id) VALUES (2);"
        ),
    );
    let client = connect(&target(&db, 2, 30_000)).await.unwrap();

    let probe = client.probe().await.unwrap();
    assert_eq!(probe.kind, ServerKind::MariaDb);
    assert!(probe.version.contains("MariaDB"), "{}", probe.version);
    assert_eq!(probe.user, format!("{MARIADB_USER}@%"));
    assert_eq!(probe.database.as_deref(), Some(MARIADB_DATABASE));
    assert!(client.ping().await.unwrap() < Duration::from_secs(5));

    let expected_1 = json!([1, -128, -32768, -8388608, -2147483648_i64, "-9223372036854775808",
        "18446744073709551615", "12345678901234567890123456789012345.123456789012345678901234567890", 12.5,
        1.1, 2.2, "2024-01-02", "2024-01-02T03:04:05.123456", "2024-01-02T03:04:05.500000", "-838:59:59",
        "12:34:56.789000", 2024, {"a": [1, 2, {"b": null}]}, format!("\\x{all_bytes}"), "\\x00ff", "\\x01020304",
        517, "b", "x,z", "héllo", "text"]);
    let mut expected_2 = vec![json!(2)];
    expected_2.resize(26, Value::Null);

    // Binary protocol (one prepared statement), for a viewer and a writer; text protocol (several).
    let binary = r(&client, "SELECT * FROM every_type ORDER BY id").await.unwrap();
    let written = w(&client, "SELECT * FROM every_type ORDER BY id").await.unwrap();
    let text = w(&client, "SELECT 1; SELECT * FROM every_type ORDER BY id").await.unwrap();
    for result in [&binary, &written, &text] {
        assert_eq!(result.columns.len(), 26);
        assert_eq!(result.columns[1], "ti");
        assert_eq!(Value::Array(result.rows[0].clone()), expected_1);
        assert_eq!(result.rows[1], expected_2);
        assert!(!result.truncated);
        assert_eq!(result.rows_affected, Some(2));
        assert_eq!(result.command.as_deref(), Some("SELECT"));
    }

    // Expressions of each kind, both protocols.
    let sql = "SELECT CAST(9007199254740993 AS UNSIGNED) big, 9007199254740991 safe, CAST('2024-05-06 07:08:09' AS DATETIME) dt, \
               TIMESTAMP'2024-01-01 00:00:00' ts, JSON_OBJECT('k', 1) jo, NULL n";
    for result in [w(&client, sql).await.unwrap(), w(&client, &format!("DO 1; {sql}")).await.unwrap()] {
        assert_eq!(result.rows[0][0], json!("9007199254740993"));
        assert_eq!(result.rows[0][1], json!(9007199254740991_u64));
        assert_eq!(result.rows[0][2], json!("2024-05-06T07:08:09"));
        assert_eq!(result.rows[0][3], json!("2024-01-01T00:00:00"));
        // An expression's JSON is text to MariaDB (no column to ask the catalog about).
        assert_eq!(result.rows[0][4], json!("{\"k\": 1}"));
        assert_eq!(result.rows[0][5], Value::Null);
    }

    // Writes: counts of the last statement.
    let inserted =
        w(&client, "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT); INSERT INTO t (v) VALUES (1), (2), (3)")
            .await
            .unwrap();
    assert_eq!(inserted.rows_affected, Some(3));
    assert_eq!(inserted.command.as_deref(), Some("INSERT"));
    assert!(inserted.columns.is_empty());
    let updated = w(&client, "UPDATE t SET v = v + 1 WHERE id < 3").await.unwrap();
    assert_eq!(updated.rows_affected, Some(2));
    assert!(updated.info.as_deref().unwrap_or_default().contains("Changed: 2"), "{:?}", updated.info);
    let one = w(&client, "INSERT INTO t (v) VALUES (9)").await.unwrap();
    assert_eq!(one.last_insert_id, Some(4));

    // Errors keep the server's code and SQLSTATE.
    let err = w(&client, "SELECT * FROM nope").await.unwrap_err();
    match &err {
        EngineError::Query { message, details: Some(d) } => {
            assert_eq!(d["code"], 1146);
            assert_eq!(d["sqlstate"], "42S02");
            assert!(message.contains("nope"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(code(&w(&client, "SELEC 1").await.unwrap_err()), 1064);

    // The row cap, both protocols: the statement is not read to its end.
    let started = Instant::now();
    let capped = write(&client, QueryRequest { sql: "SELECT seq FROM seq_1_to_5000000", row_cap: 10 }).await.unwrap();
    assert_eq!(capped.rows.len(), 10);
    assert!(capped.truncated);
    assert_eq!(capped.rows_affected, None);
    assert_eq!(capped.rows[9], vec![json!(10)]);
    let capped = read(&client, QueryRequest { sql: "SELECT seq FROM seq_1_to_5000000", row_cap: 3 }).await.unwrap();
    assert_eq!((capped.rows.len(), capped.truncated), (3, true));
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let capped =
        write(&client, QueryRequest { sql: "SELECT 1; SELECT seq FROM seq_1_to_1000", row_cap: 5 }).await.unwrap();
    assert_eq!((capped.rows.len(), capped.truncated), (5, true));
    // MariaDB's JSON columns are known even when the result is cut (and the statement killed).
    for capped in [
        read(&client, QueryRequest { sql: "SELECT j FROM every_type ORDER BY id", row_cap: 1 }).await.unwrap(),
        write(&client, QueryRequest { sql: "DO 1; SELECT j FROM every_type ORDER BY id", row_cap: 1 }).await.unwrap(),
    ] {
        assert!(capped.truncated);
        assert_eq!(capped.rows, vec![vec![json!({"a": [1, 2, {"b": null}]})]]);
    }
    // The pool's connections are still usable after a cut.
    assert_eq!(w(&client, "SELECT 7").await.unwrap().rows, vec![vec![json!(7)]]);

    // Viewers: only statements that read, in a read-only transaction.
    for sql in [
        "INSERT INTO t (v) VALUES (5)",
        "UPDATE t SET v = 0",
        "DELETE FROM t",
        "CREATE TABLE t2 (a INT)",
        "DROP TABLE t",
        "SET GLOBAL max_connections = 5",
        "LOCK TABLES t READ",
        "SELECT GET_LOCK('x', 0)",
        "SELECT * FROM t INTO OUTFILE '/tmp/sb-out'",
        "SELECT LOAD_FILE('/etc/passwd')",
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
        "KILL 1",
        "SELECT 1; DELETE FROM t",
    ] {
        assert!(matches!(r(&client, sql).await, Err(EngineError::Refused(_))), "{sql}");
    }
    // What the text check lets through, the read-only transaction stops: a function that writes.
    w(
        &client,
        "CREATE FUNCTION sneaky() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO t (v) VALUES (99); RETURN 1; END",
    )
    .await
    .unwrap();
    let err = r(&client, "SELECT sneaky()").await.unwrap_err();
    assert_eq!(code(&err), 1792, "{err:?}");
    assert_eq!(db.sql(MARIADB_DATABASE, "SELECT COUNT(*) FROM t WHERE v = 99"), "0");
    assert_eq!(r(&client, "SELECT COUNT(*) FROM t").await.unwrap().rows, vec![vec![json!(4)]]);

    // Catalog listings match information_schema.
    w(
        &client,
        "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL DEFAULT 'x' COMMENT 'the name') ENGINE=InnoDB; \
         CREATE TABLE child (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, parent_id INT, label VARCHAR(10), \
           UNIQUE KEY uq_label (label), KEY ix_pl (parent_id, label), \
           CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE); \
         CREATE VIEW parent_names AS SELECT name FROM parent",
    )
    .await
    .unwrap();
    let databases = catalog::databases(&client).await.unwrap();
    let names: Vec<_> = databases.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names.join("\n"),
        db.sql(MARIADB_DATABASE, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")
    );
    let tables = catalog::tables(&client, MARIADB_DATABASE).await.unwrap();
    let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["child", "every_type", "parent", "t"]);
    assert_eq!(tables[0].engine.as_deref(), Some("InnoDB"));
    assert!(tables[0].collation.is_some());
    let columns = catalog::columns(&client, MARIADB_DATABASE, Some("parent")).await.unwrap();
    assert_eq!(columns.len(), 2);
    assert_eq!((columns[0].name.as_str(), columns[0].key.as_str(), columns[0].nullable), ("id", "PRI", false));
    assert_eq!(columns[1].column_type, "varchar(40)");
    assert_eq!(columns[1].default.as_deref(), Some("'x'"));
    assert_eq!(columns[1].comment.as_deref(), Some("the name"));
    let child = catalog::columns(&client, MARIADB_DATABASE, Some("child")).await.unwrap();
    assert_eq!(child[0].column_type, "bigint(20) unsigned");
    assert_eq!(child[0].extra, "auto_increment");
    let all = catalog::columns(&client, MARIADB_DATABASE, None).await.unwrap();
    assert_eq!(
        all.len().to_string(),
        db.sql(MARIADB_DATABASE, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'app'")
    );
    let views = catalog::views(&client, MARIADB_DATABASE).await.unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].name, "parent_names");
    assert!(views[0].definition.as_deref().unwrap_or_default().contains("parent"));
    let indexes = catalog::indexes(&client, MARIADB_DATABASE, Some("child")).await.unwrap();
    let summary: Vec<_> = indexes.iter().map(|i| (i.name.as_str(), i.unique, i.columns.join(","))).collect();
    assert_eq!(
        summary,
        [
            ("PRIMARY", true, "id".to_string()),
            ("fk_parent", false, "parent_id".to_string()),
            ("ix_pl", false, "parent_id,label".to_string()),
            ("uq_label", true, "label".to_string())
        ]
        .into_iter()
        .filter(|(name, ..)| *name != "fk_parent" || indexes.iter().any(|i| i.name == "fk_parent"))
        .collect::<Vec<_>>()
    );
    let keys = catalog::foreign_keys(&client, MARIADB_DATABASE).await.unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(
        (key.table.as_str(), key.name.as_str(), key.referenced_table.as_str()),
        ("child", "fk_parent", "parent")
    );
    assert_eq!((key.columns.clone(), key.referenced_columns.clone()), (vec!["parent_id".into()], vec!["id".into()]));
    assert_eq!((key.on_delete.as_str(), key.on_update.as_str()), ("CASCADE", "RESTRICT"));
    // A name is a parameter, never SQL.
    assert!(catalog::tables(&client, "app' OR '1'='1").await.unwrap().is_empty());

    client.close().await;
}

#[tokio::test]
async fn sessions_are_reset_cancelled_and_timed_out() {
    let db = start_mariadb();
    db.sql(MARIADB_DATABASE, "CREATE TABLE t (a INT); CREATE TABLE u (a INT)");
    // One connection, so every call below runs on the same one.
    let client = connect(&target(&db, 1, 1500)).await.unwrap();
    let id = w(&client, "SELECT CONNECTION_ID()").await.unwrap().rows[0][0].clone();

    w(&client, "SET @u = 5; SET SESSION wait_timeout = 1234; SET SESSION sql_mode = 'ANSI_QUOTES'").await.unwrap();
    w(&client, "SELECT GET_LOCK('sb-lock', 0)").await.unwrap();
    w(&client, "CREATE TEMPORARY TABLE tmp_x (a INT)").await.unwrap();
    w(&client, "LOCK TABLES t READ").await.unwrap();
    w(&client, "START TRANSACTION; INSERT INTO t VALUES (1)").await.unwrap();
    let state = r(
        &client,
        "SELECT CONNECTION_ID(), @u, @@session.wait_timeout = 1234, @@session.sql_mode LIKE '%ANSI_QUOTES%', \
                IS_USED_LOCK('sb-lock'), @@session.max_statement_time, @@session.time_zone",
    )
    .await
    .unwrap();
    assert_eq!(
        state.rows[0],
        vec![id.clone(), Value::Null, json!(0), json!(0), Value::Null, json!(1.5), json!("+00:00")]
    );
    assert_eq!(code(&w(&client, "SELECT * FROM tmp_x").await.unwrap_err()), 1146);
    // No LOCK TABLES left (it would refuse a table it did not lock) and the transaction was rolled back.
    assert_eq!(w(&client, "SELECT COUNT(*) FROM u").await.unwrap().rows, vec![vec![json!(0)]]);
    assert_eq!(w(&client, "SELECT COUNT(*) FROM t").await.unwrap().rows, vec![vec![json!(0)]]);
    assert_eq!(w(&client, "SELECT CONNECTION_ID()").await.unwrap().rows[0][0], id);

    // The statement timeout (max_statement_time): stopped by the server with its error.
    let started = Instant::now();
    let err = w(&client, "SELECT SUM(a.seq + b.seq) FROM seq_1_to_100000 a, seq_1_to_100000 b").await.unwrap_err();
    assert_eq!(code(&err), 1969, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(w(&client, "SELECT 1").await.unwrap().rows, vec![vec![json!(1)]]);

    // A dropped call is killed on the server, though the only pooled connection is busy.
    let other = connect(&target(&db, 2, 0)).await.unwrap();
    let running = |other: MysqlClient| async move {
        activity::list(&other)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.info.as_deref().is_some_and(|i| i.contains("SLEEP(60)")))
    };
    let background = client.clone();
    let task = tokio::spawn(async move { w(&background, "SELECT SLEEP(60)").await });
    assert!(eventually(Duration::from_secs(10), async || running(other.clone()).await.is_some()).await);
    let process = running(other.clone()).await.unwrap();
    // A prepared statement runs as `Execute`.
    assert_eq!(process.command.as_deref(), Some("Execute"));
    assert_eq!(process.user.as_deref(), Some(MARIADB_USER));
    assert_eq!(process.db.as_deref(), Some(MARIADB_DATABASE));
    task.abort();
    assert!(eventually(Duration::from_secs(10), async || running(other.clone()).await.is_none()).await);
    assert_eq!(w(&client, "SELECT 2").await.unwrap().rows, vec![vec![json!(2)]]);

    // The processlist and kill: a sleeping query seen and ended.
    let long = connect(&target(&db, 1, 0)).await.unwrap();
    let task = tokio::spawn(async move { w(&long, "SELECT SLEEP(60)").await });
    assert!(eventually(Duration::from_secs(10), async || running(other.clone()).await.is_some()).await);
    let process = running(other.clone()).await.unwrap();
    assert!(process.time.is_some());
    activity::kill(&other, process.id, true).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), task).await.expect("the killed query ended");
    drop(ended);
    assert!(running(other.clone()).await.is_none());
    // Ending a whole connection: its client opens a new one on the next call.
    let idle = connect(&target(&db, 1, 0)).await.unwrap();
    let idle_id = w(&idle, "SELECT CONNECTION_ID()").await.unwrap().rows[0][0].as_u64().unwrap();
    assert!(activity::list(&other).await.unwrap().iter().any(|p| p.id == idle_id));
    activity::kill(&other, idle_id, false).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), async || {
            !activity::list(&other).await.unwrap().iter().any(|p| p.id == idle_id)
        })
        .await
    );
    let again = w(&idle, "SELECT CONNECTION_ID()").await.unwrap().rows[0][0].as_u64().unwrap();
    assert_ne!(again, idle_id);
    idle.close().await;
    assert!(matches!(activity::kill(&other, 987_654, true).await, Err(EngineError::NotFound(_))));

    other.close().await;
    client.close().await;
}

#[tokio::test]
async fn survives_a_server_restart() {
    let mut db = start_mariadb();
    let client = connect(&target(&db, 2, 30_000)).await.unwrap();
    assert_eq!(w(&client, "SELECT 1").await.unwrap().rows, vec![vec![json!(1)]]);
    assert_eq!(r(&client, "SELECT 2").await.unwrap().rows, vec![vec![json!(2)]]);
    db.kill();
    assert!(w(&client, "SELECT 1").await.is_err());
    db.restart();
    assert_eq!(w(&client, "SELECT 3").await.unwrap().rows, vec![vec![json!(3)]]);
    assert_eq!(r(&client, "SELECT 4").await.unwrap().rows, vec![vec![json!(4)]]);
    assert!(client.probe().await.is_ok());

    // TLS required from a server that offers none: a connection error, not a plain-text fallback.
    let mut tls = target(&db, 1, 0);
    tls.tls = MysqlTls::Require;
    assert!(matches!(connect(&tls).await, Err(EngineError::Connect(_))));

    // Wrong password: an authentication error.
    let mut bad = target(&db, 1, 0);
    bad.password = SecretString::from("wrong".to_string());
    assert!(matches!(connect(&bad).await, Err(EngineError::Auth(_))));
    client.close().await;
}
