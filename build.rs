//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the files it found at
//! compile time, and Cargo does not otherwise notice a new file in `migrations/`.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
