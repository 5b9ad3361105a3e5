//! `switchboard keys rotate`: re-encrypts every stored secret under the current key.
//!
//! Run it with the new key in `SWITCHBOARD_ENCRYPTION_KEY` and the old ones in
//! `SWITCHBOARD_PREVIOUS_ENCRYPTION_KEYS` (servers can run with the same settings meanwhile). Each
//! row is re-sealed on its own with a compare-and-set on its key id, so an interrupted rotation
//! loses nothing and a second run simply finishes the rest. Afterwards the old keys can go.

use crate::connections::reseal;
use crate::crypto::SecretBox;
use crate::store::PlatformStore;

/// What a rotation did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Rows re-sealed with the current key.
    pub resealed: u64,
    /// Rows skipped because they changed meanwhile (they are sealed with the current key already).
    pub raced: u64,
    /// Rows still under another key (beyond `limit`, or undecryptable).
    pub remaining: u64,
    /// Connections whose secrets could not be opened with any configured key.
    pub failed: Vec<String>,
}

const BATCH: i64 = 100;

/// Re-seals up to `limit` rows (all when `None`).
pub async fn rotate(
    store: &dyn PlatformStore,
    secrets: &SecretBox,
    limit: Option<u64>,
) -> anyhow::Result<RotationReport> {
    let current = secrets.current_key_id().0.clone();
    let mut report = RotationReport::default();
    let mut skip: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        if limit.is_some_and(|l| report.resealed >= l) {
            break;
        }
        let batch = store.connections_not_sealed_with(&current, BATCH + skip.len() as i64).await?;
        let batch: Vec<_> = batch.into_iter().filter(|r| !skip.contains(&r.id.to_string())).collect();
        if batch.is_empty() {
            break;
        }
        for mut record in batch {
            if limit.is_some_and(|l| report.resealed >= l) {
                break;
            }
            let Some(old_key) =
                record.password.as_ref().or(record.connection_string.as_ref()).map(|s| s.key_id.0.clone())
            else {
                continue;
            };
            if let Err(e) = reseal(secrets, &mut record) {
                tracing::error!(connection_id = %record.id, error = %e, "cannot re-encrypt this connection's secrets");
                report.failed.push(format!("{} ({})", record.id, record.identifier));
                skip.insert(record.id.to_string());
                continue;
            }
            if store.reseal_connection(&record, &old_key).await? {
                report.resealed += 1;
            } else {
                report.raced += 1;
                skip.insert(record.id.to_string());
            }
        }
    }
    report.remaining = store.connections_not_sealed_with(&current, i64::MAX).await?.len() as u64;
    Ok(report)
}
