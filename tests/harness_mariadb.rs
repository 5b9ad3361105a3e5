//! The harness's MariaDB: it starts, answers SQL as the test login, keeps its data over a restart
//! and a kill, stops listening when killed, and several run at once.

mod common;

use std::net::TcpStream;

use common::backends::{MARIADB_DATABASE, MARIADB_PASSWORD, MARIADB_USER};
use common::{Backend, MariaDb};

#[test]
fn starts_answers_and_keeps_its_data() {
    let mut db = MariaDb::start();
    let version = db.sql(MARIADB_DATABASE, "SELECT VERSION()");
    assert!(version.contains("MariaDB"), "{version}");
    assert_eq!(db.sql(MARIADB_DATABASE, "SELECT CURRENT_USER()"), format!("{MARIADB_USER}@%"));
    assert_eq!(db.engine(), "mysql");
    let fields = db.fields();
    assert_eq!(fields["port"], db.port);
    assert_eq!(fields["password"], MARIADB_PASSWORD);

    db.sql(
        MARIADB_DATABASE,
        "CREATE TABLE kept (id INT PRIMARY KEY, note TEXT); INSERT INTO kept VALUES (1, 'before')",
    );
    db.restart();
    assert_eq!(db.sql(MARIADB_DATABASE, "SELECT note FROM kept"), "before");

    // Killed: nothing listens any more; a commit made just before survives the crash.
    db.sql(MARIADB_DATABASE, "INSERT INTO kept VALUES (2, 'just before the kill')");
    db.kill();
    assert!(TcpStream::connect(("127.0.0.1", db.port)).is_err(), "the port still accepts after kill()");
    db.restart();
    assert_eq!(db.sql(MARIADB_DATABASE, "SELECT COUNT(*) FROM kept"), "2");
}

#[test]
fn two_instances_run_side_by_side() {
    let starting: Vec<_> = (0..2).map(|_| std::thread::spawn(MariaDb::start)).collect();
    let dbs: Vec<MariaDb> = starting.into_iter().map(|t| t.join().expect("a MariaDB started")).collect();
    assert_ne!(dbs[0].port, dbs[1].port);
    for (i, db) in dbs.iter().enumerate() {
        db.sql(MARIADB_DATABASE, &format!("CREATE TABLE mine (n INT); INSERT INTO mine VALUES ({i})"));
    }
    for (i, db) in dbs.iter().enumerate() {
        assert_eq!(db.sql(MARIADB_DATABASE, "SELECT n FROM mine"), i.to_string(), "each keeps its own data");
    }
}
