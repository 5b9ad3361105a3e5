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

/// mimalloc instead of glibc's malloc: under load, glibc spent about a quarter of the server's
/// CPU in malloc/free (arena lock waits, fastbin consolidation on every allocation over 1 KiB);
/// mimalloc's per-thread free lists cut that to a few percent.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps the idle footprint small: commit arena memory as it is used rather than up front, and
/// take blocks over 4 MiB straight from the system so that freeing them unmaps them. Without the
/// second, each sign-in would leave argon2's 19 MiB block resident until a later allocation in
/// the same arena happened to purge it.
#[cfg(target_os = "linux")]
extern "C" fn tune_allocator() {
    // Option numbers of `mi_option_t` in mimalloc v3 (include/mimalloc.h, libmimalloc-sys 0.1.49,
    // pinned in Cargo.toml): the crate exports constants for v2 only.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const ARENA_MAX_OBJECT_SIZE_KIB: libmimalloc_sys::mi_option_t = 45;
    // SAFETY: runs once, before `main` and before any thread exists (mimalloc's option setters
    // are not thread safe).
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(ARENA_MAX_OBJECT_SIZE_KIB, 4096);
    }
}

// Options must be set before the first allocation creates an arena, which happens before `main`
// (in the standard library's start-up): the loader runs `.init_array` entries earlier still.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

fn main() -> ExitCode {
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
