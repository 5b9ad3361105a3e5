//! The `switchboard` binary: parses the command line and dispatches; all logic lives in the library.

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;
use secrecy::SecretString;
use switchboard::config::{Cli, Command, FileConfig, KeysCommand, LogFormat, ServeConfig, StoreConfig, UserCommand};
use switchboard::{crypto, server, telemetry};

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => {
            let cfg = ServeConfig::resolve(&args, &file)?;
            let _log_guard = telemetry::init_logging(cfg.log_format);
            server::serve(cfg).await
        }
        Command::Migrate(args) => {
            let _log_guard = telemetry::init_logging(LogFormat::Text);
            let cfg = StoreConfig::resolve(&args, &file)?;
            server::open_store(&cfg).await?;
            println!("platform store is up to date");
            Ok(())
        }
        Command::User(UserCommand::Create { store, email, password_stdin: _, superuser }) => {
            let _log_guard = telemetry::init_logging(LogFormat::Text);
            let cfg = StoreConfig::resolve(&store, &file)?;
            let email = switchboard::api::users::check_email(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = SecretString::from(password.trim_end_matches(['\r', '\n']).to_string());
            switchboard::api::users::check_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = server::open_store(&cfg).await?;
            if superuser {
                server::create_superuser(store.as_ref(), &email, password).await?;
            } else {
                let hash = switchboard::auth::password::hash(password).await?;
                store.create_user(&email, &hash, false).await?;
            }
            println!("created user {email}");
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate { store, limit }) => {
            let _log_guard = telemetry::init_logging(LogFormat::Text);
            let cfg = StoreConfig::resolve(&store, &file)?;
            let secrets = switchboard::config::Secrets::load(&cfg.data_dir)?;
            let secret_box = switchboard::crypto::SecretBox::new(&secrets.encryption_key, &secrets.previous_keys);
            let store = server::open_store(&cfg).await?;
            let report = switchboard::keys::rotate(store.as_ref(), &secret_box, limit).await?;
            println!(
                "re-encrypted {} connection(s) with key {}; {} changed meanwhile; {} still under older keys",
                report.resealed,
                secret_box.current_key_id(),
                report.raced,
                report.remaining
            );
            if !report.failed.is_empty() {
                anyhow::bail!(
                    "could not decrypt {} connection(s) with the configured keys: {}",
                    report.failed.len(),
                    report.failed.join(", ")
                );
            }
            Ok(())
        }
        Command::Keys(KeysCommand::Generate) => {
            println!("SWITCHBOARD_ENCRYPTION_KEY={}", crypto::generate_key_hex());
            println!("SWITCHBOARD_JWT_SECRET={}", crypto::generate_key_hex());
            Ok(())
        }
    }
}

/// Makes glibc return big freed blocks to the system. Its adaptive mmap threshold grows to the
/// size of the first big block freed, after which blocks that size come from per-thread arenas and
/// stay resident when freed: every password hash is a 19 MiB block (argon2id's default memory), so
/// each sign-in on another blocking thread would add 19 MiB to the idle footprint for good. A fixed
/// threshold of 1 MiB keeps such blocks mmap-backed and unmapped on free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("switchboard: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            ExitCode::FAILURE
        }
    }
}
