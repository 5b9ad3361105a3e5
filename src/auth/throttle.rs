//! Sign-in throttling: at most N attempts a minute (a window opening at the first attempt) per
//! account and per client address, counted in the platform store so every replica sharing it
//! enforces one limit (a guesser spreading attempts over replicas gains nothing). Accounts are
//! counted under a hash of the e-mail, so the counters table holds no addresses of people.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::app::App;
use crate::error::ApiError;

/// Length of a counting window, in seconds.
const WINDOW_SECS: i64 = 60;

/// Counts a sign-in attempt for `email` from `address`; refuses it with 429 once either has used
/// the minute's allowance.
pub async fn check_signin(app: &App, email: &str, address: &str) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let account = format!("signin-account:{}", hex::encode(Sha256::digest(email.as_bytes())));
    let address = format!("signin-address:{address}");
    let mut wait = 0;
    // Both counters move on every attempt, so neither can be used to probe the other.
    for key in [account, address] {
        let (hits, window_start) = app.store.hit_rate_limit(&key, now, WINDOW_SECS).await?;
        if hits > i64::from(app.signin_per_minute) {
            wait = wait.max(window_start + WINDOW_SECS - now);
        }
    }
    match u64::try_from(wait) {
        Ok(0) | Err(_) => Ok(()),
        Ok(secs) => Err(ApiError::RateLimited { retry_after_secs: secs }),
    }
}

/// Forgets windows that ended more than an hour ago.
pub async fn prune(app: &App) {
    let before = OffsetDateTime::now_utc().unix_timestamp() - 3600;
    if let Err(e) = app.store.prune_rate_limits(before).await {
        tracing::warn!(error = %e, "could not prune sign-in counters");
    }
}
