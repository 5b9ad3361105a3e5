//! Authentication (who is calling) and authorization (what their role lets them do).
//!
//! - `jwt`: issues and verifies HS256 access tokens.
//! - `password`: argon2id hashing, off the async runtime.
//! - `extract`: the [`AuthUser`] extractor every `/api/platform` handler takes.
//! - `access`: [`authorize`], the one place a project role is checked against a [`crate::domain::Permission`].
//! - `cache`: users and project accesses kept briefly in memory, invalidated on change.
//! - `session`: console sessions (cookie, CSRF token, origin check).
//! - `throttle`: sign-in attempts counted per account and address in the platform store.

pub mod access;
pub mod cache;
pub mod extract;
pub mod jwt;
pub mod password;
pub mod session;
pub mod throttle;

pub use access::{authorize, ProjectContext};
pub use cache::AuthCache;
pub use extract::AuthUser;
pub use jwt::{Claims, JwtKeys};
