//! Domain types shared by every layer: typed ids, roles, engines and connection settings.

pub mod connection;
pub mod ids;
pub mod role;

pub use connection::{ConnectionSettings, ConnectionStatus, Engine, EngineOptions};
pub use ids::{ConnectionId, JobId, OrganizationId, ProjectId, SnippetId, TokenId, UserId};
pub use role::{Permission, Role};
