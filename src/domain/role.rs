//! Roles (spec 7.2) and what each may do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role on one project. Ordered: each role can do everything the ones below it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read only.
    Viewer,
    /// Reads and writes data.
    Developer,
    /// Manages connections, members and destructive operations of one project.
    Admin,
    /// Owns the organization: everything in every project of it.
    Owner,
}

/// What an operation needs; [`Role::allows`] maps it to the minimum role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read data and metadata.
    Read,
    /// Change data.
    Write,
    /// Manage connections and members, drop things.
    Admin,
    /// Delete the project itself.
    Owner,
}

impl Permission {
    /// The least role that holds this permission.
    pub fn minimum_role(self) -> Role {
        match self {
            Permission::Read => Role::Viewer,
            Permission::Write => Role::Developer,
            Permission::Admin => Role::Admin,
            Permission::Owner => Role::Owner,
        }
    }
}

impl Role {
    /// Whether this role holds `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self >= permission.minimum_role()
    }

    /// The role's name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "developer" => Ok(Role::Developer),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Viewer.allows(Permission::Read));
        assert!(!Role::Viewer.allows(Permission::Write));
        assert!(Role::Developer.allows(Permission::Write));
        assert!(!Role::Developer.allows(Permission::Admin));
        assert!(Role::Admin.allows(Permission::Admin));
        assert!(!Role::Admin.allows(Permission::Owner));
        assert!(Role::Owner.allows(Permission::Owner));
    }
}
