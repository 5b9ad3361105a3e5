//! Newtypes for identifiers, so a project id is never passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// Identifies a user of Switchboard.
    UserId
);
uuid_id!(
    /// Identifies an organization.
    OrganizationId
);
uuid_id!(
    /// Identifies a project (its public handle is the `ref`).
    ProjectId
);
uuid_id!(
    /// Identifies a stored database connection.
    ConnectionId
);
uuid_id!(
    /// Identifies an API token.
    TokenId
);
uuid_id!(
    /// Identifies a saved snippet (SQL or a command) of a project.
    SnippetId
);
uuid_id!(
    /// Identifies a background job.
    JobId
);
