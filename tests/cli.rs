//! The binary's start-up behaviour: generated keys, clear one-line errors, and the user/keys commands.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{AppOptions, TestApp};
use reqwest::StatusCode;
use serde_json::json;

fn switchboard() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for var in ["SWITCHBOARD_ENCRYPTION_KEY", "SWITCHBOARD_JWT_SECRET", "SWITCHBOARD_PLATFORM_DB", "SWITCHBOARD_CONFIG"]
    {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `serve` expecting it to refuse to start; returns its stderr.
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let listen: &[&str] = if args.contains(&"--listen") { &[] } else { &["--listen", "127.0.0.1:0"] };
    let out = switchboard()
        .arg("serve")
        .args(listen)
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve started although it should not");
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

#[test]
fn bad_settings_stop_start_up_with_one_clear_line() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 6] = [
        (&[], &[("SWITCHBOARD_ENCRYPTION_KEY", "abc")], "SWITCHBOARD_ENCRYPTION_KEY must be 64 hexadecimal"),
        (&[], &[("SWITCHBOARD_ENCRYPTION_KEY", &"zz".repeat(32))], "SWITCHBOARD_ENCRYPTION_KEY must be 64 hexadecimal"),
        (&[], &[("SWITCHBOARD_JWT_SECRET", "short")], "SWITCHBOARD_JWT_SECRET must be at least 32"),
        (&["--platform-db", "postgres://nobody@127.0.0.1:1/x"], &[], "cannot open the platform PostgreSQL database"),
        (&["--platform-db", "mysql://x"], &[], "must start with sqlite:// or postgres://"),
        (&["--listen", "not-an-address"], &[], "is not an address"),
    ];
    for (args, env, expected) in cases {
        let stderr = refused(args, env);
        assert!(stderr.contains(expected), "expected `{expected}` in `{stderr}`");
        assert_eq!(stderr.lines().count(), 1, "more than one line: {stderr}");
        assert!(!stderr.contains("nobody@"), "the URL leaked: {stderr}");
    }
}

#[tokio::test]
async fn generated_keys_are_private_and_reused() {
    let redis = common::Redis::start(None);
    let mut app = TestApp::start_with(AppOptions::default()).await;
    let key_path = app.data_dir().join("encryption.key");
    let key = std::fs::read_to_string(&key_path).unwrap();
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
        // The store holds password hashes and sealed secrets: private too, WAL included.
        for file in ["switchboard.db", "switchboard.db-wal"] {
            let mode = std::fs::metadata(app.data_dir().join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    assert!(app.log().contains("generated one into the data dir"), "the log says keys were generated");
    let admin = app.admin_token().await;
    let password = common::secret("sb-secret-restart");
    let (_, created) = app
        .post(
            "/api/platform/redis/default/connections",
            &admin,
            json!({"identifier": "r", "host": "127.0.0.1", "port": redis.port, "password": password}),
        )
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_string();

    app.restart().await;
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), key, "the key was reused");
    let admin = app.admin_token().await;
    let (s, report) = app.post(&format!("/api/platform/redis/default/connections/{id}/test"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::OK, "the secret still decrypts after a restart: {report}");
    // Redis has no password set, so a stored password makes AUTH fail; what matters is that it decrypted.
    assert_ne!(report["error"]["code"], "DECRYPTION_ERROR");
}

#[tokio::test]
async fn user_create_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let password = common::secret("sb-secret-cli-user");
    let mut child = switchboard()
        .args(["user", "create", "--email", "Ops@Example.com", "--password-stdin", "--superuser", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user ops@example.com"));

    // The user owns the default project in that store.
    let url = format!("sqlite://{}", dir.path().join("switchboard.db").display());
    let store = switchboard::store::connect(&url).await.unwrap();
    let user = store.find_user_by_email("ops@example.com").await.unwrap().unwrap();
    assert!(user.is_superuser);
    let access = store.find_project("default", user.id).await.unwrap().unwrap();
    assert_eq!(access.role, Some(switchboard::domain::Role::Owner));

    // A short password is refused before anything is written.
    let mut child = switchboard()
        .args(["user", "create", "--email", "b@example.com", "--password-stdin", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password must be"));
}

#[test]
fn keys_generate_prints_fresh_values_and_migrate_works() {
    let out = switchboard().args(["keys", "generate"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text
        .lines()
        .any(|l| l.starts_with("SWITCHBOARD_ENCRYPTION_KEY=") && l.len() == "SWITCHBOARD_ENCRYPTION_KEY=".len() + 64));
    assert!(text.contains("SWITCHBOARD_JWT_SECRET="));
    let dir = tempfile::tempdir().unwrap();
    let out = switchboard().args(["migrate", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("switchboard.db").exists());
}

#[test]
fn a_config_file_is_read_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, "listen = \"nonsense\"\n").unwrap();
    let out =
        switchboard().arg("--config").arg(&config).args(["serve", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("`nonsense` is not an address"));
    std::fs::write(&config, "colour = \"red\"\n").unwrap();
    let out =
        switchboard().arg("--config").arg(&config).args(["serve", "--data-dir"]).arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is invalid") && stderr.contains("colour"), "{stderr}");
}
