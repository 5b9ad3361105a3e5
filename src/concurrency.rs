//! How much one user may run at once on one connection: a user's SQL holds one of a few slots per
//! connection while it runs, so one person (or a script with their token) cannot take every
//! session of a pool; a statement past the limit answers 429 at once instead of queueing.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::{ConnectionId, UserId};
use crate::error::ApiError;

/// Slots per user and connection.
pub struct UserSlots {
    per_user: usize,
    slots: Cache<(UserId, ConnectionId), Arc<Semaphore>>,
}

impl UserSlots {
    /// `per_user` statements at once per user and connection.
    pub fn new(per_user: usize) -> Self {
        // An entry idle this long holds no permit: nothing can run for an hour without the
        // statement timeout ending it first (its maximum is one hour).
        let slots = Cache::builder().max_capacity(100_000).time_to_idle(Duration::from_secs(2 * 3600)).build();
        Self { per_user: per_user.max(1), slots }
    }

    /// A slot for `user` on `connection`, held until dropped; 429 when all are taken.
    pub fn take(&self, user: UserId, connection: ConnectionId) -> Result<OwnedSemaphorePermit, ApiError> {
        let semaphore = self.slots.get_with((user, connection), || Arc::new(Semaphore::new(self.per_user)));
        semaphore.try_acquire_owned().map_err(|_| {
            ApiError::Busy(format!(
                "you are already running {} statements on this connection: wait for one to finish or cancel it",
                self.per_user
            ))
        })
    }
}
