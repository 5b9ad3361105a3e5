//! Roles for `…/pg-meta/{ref}/roles`: listed from `pg_roles` (which never shows a password or its
//! hash, unlike `pg_authid`), created, changed and dropped with statements of quoted names and
//! literals. A password travels only as a SCRAM-SHA-256 verifier computed here, so the clear text
//! is never part of any SQL text, the server's log included.

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{query, read_catalog};
use super::ddl::{quote_literal, DdlPlan, Ident};
use super::PostgresClient;
use crate::engines::EngineError;

/// A role, as postgres-meta lists it (without `password`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Role {
    /// Its oid.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// `SUPERUSER`.
    pub is_superuser: bool,
    /// `CREATEDB`.
    pub can_create_db: bool,
    /// `CREATEROLE`.
    pub can_create_role: bool,
    /// `INHERIT`.
    pub inherit_role: bool,
    /// `LOGIN`.
    pub can_login: bool,
    /// `REPLICATION`.
    pub is_replication_role: bool,
    /// `BYPASSRLS`.
    pub can_bypass_rls: bool,
    /// Sessions open as this role now.
    pub active_connections: i64,
    /// `CONNECTION LIMIT` (`-1`: none).
    pub connection_limit: i32,
    /// `VALID UNTIL`, ISO 8601 (`infinity` as written).
    pub valid_until: Option<String>,
    /// Per-role settings (`name=value`).
    pub config: Option<Vec<String>>,
    /// Roles this role is a member of.
    pub member_of: Vec<String>,
}

const ROLES_SQL: &str = "SELECT r.oid::int8, r.rolname::text, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit,
        r.rolcanlogin, r.rolreplication, r.rolbypassrls,
        (SELECT count(*) FROM pg_stat_activity a WHERE a.usesysid = r.oid),
        r.rolconnlimit, to_json(r.rolvaliduntil) #>> '{}', r.rolconfig,
        ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
              WHERE m.member = r.oid ORDER BY g.rolname)
     FROM pg_roles r
     WHERE $1::int8 IS NULL OR r.oid = $1::int8::oid
     ORDER BY r.rolname";

fn role(r: &tokio_postgres::Row) -> Role {
    Role {
        id: r.get(0),
        name: r.get(1),
        is_superuser: r.get(2),
        can_create_db: r.get(3),
        can_create_role: r.get(4),
        inherit_role: r.get(5),
        can_login: r.get(6),
        is_replication_role: r.get(7),
        can_bypass_rls: r.get(8),
        active_connections: r.get(9),
        connection_limit: r.get(10),
        valid_until: r.get(11),
        config: r.get(12),
        member_of: r.get(13),
    }
}

/// Lists every role.
pub async fn list(client: &PostgresClient) -> Result<Vec<Role>, EngineError> {
    let rows = read_catalog(client, async |s| query(s, ROLES_SQL, &[&None::<i64>]).await).await?;
    Ok(rows.iter().map(role).collect())
}

/// The role with oid `id`, if it exists.
pub async fn get(client: &PostgresClient, id: u32) -> Result<Option<Role>, EngineError> {
    let rows = read_catalog(client, async |s| query(s, ROLES_SQL, &[&Some(i64::from(id))]).await).await?;
    Ok(rows.first().map(role))
}

/// How a plan writes the password: the verifier that runs, or stars for a dry run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordText {
    /// `PASSWORD '<SCRAM-SHA-256 verifier>'`.
    Verifier,
    /// `PASSWORD '********'`.
    Masked,
}

/// The attributes of a role to create or change; `None` leaves one as it is (or at its default).
#[derive(Debug, Default)]
pub struct RoleSpec {
    /// A new name (rename) or the name to create.
    pub name: Option<Ident>,
    /// The clear-text password, turned into a verifier here.
    pub password: Option<String>,
    /// `SUPERUSER`.
    pub is_superuser: Option<bool>,
    /// `CREATEDB`.
    pub can_create_db: Option<bool>,
    /// `CREATEROLE`.
    pub can_create_role: Option<bool>,
    /// `INHERIT`.
    pub inherit_role: Option<bool>,
    /// `LOGIN`.
    pub can_login: Option<bool>,
    /// `REPLICATION`.
    pub is_replication_role: Option<bool>,
    /// `BYPASSRLS`.
    pub can_bypass_rls: Option<bool>,
    /// `CONNECTION LIMIT` (`-1`: none).
    pub connection_limit: Option<i32>,
    /// `VALID UNTIL` (a timestamp PostgreSQL reads, or `infinity`).
    pub valid_until: Option<String>,
    /// The roles it is a member of (all of them: others are revoked on change).
    pub member_of: Option<Vec<Ident>>,
}

impl RoleSpec {
    /// The `WITH …` options, empty when none is set.
    fn options(&self, password_text: PasswordText) -> Result<String, EngineError> {
        let mut parts = Vec::new();
        let flags = [
            (self.is_superuser, "SUPERUSER"),
            (self.can_create_db, "CREATEDB"),
            (self.can_create_role, "CREATEROLE"),
            (self.inherit_role, "INHERIT"),
            (self.can_login, "LOGIN"),
            (self.is_replication_role, "REPLICATION"),
            (self.can_bypass_rls, "BYPASSRLS"),
        ];
        for (value, keyword) in flags {
            match value {
                Some(true) => parts.push(keyword.to_string()),
                Some(false) => parts.push(format!("NO{keyword}")),
                None => {}
            }
        }
        if let Some(limit) = self.connection_limit {
            if limit < -1 {
                return Err(EngineError::Config("connection_limit must be -1 (no limit) or more".into()));
            }
            parts.push(format!("CONNECTION LIMIT {limit}"));
        }
        if let Some(until) = &self.valid_until {
            parts.push(format!("VALID UNTIL {}", quote_literal(until)?));
        }
        if let Some(password) = &self.password {
            if password.is_empty() {
                return Err(EngineError::Config("password must not be empty".into()));
            }
            if password.contains('\0') {
                return Err(EngineError::Config("password must not contain a NUL character".into()));
            }
            let text = match password_text {
                PasswordText::Verifier => postgres_protocol::password::scram_sha_256(password.as_bytes()),
                PasswordText::Masked => "********".to_string(),
            };
            parts.push(format!("PASSWORD {}", quote_literal(&text)?));
        }
        Ok(if parts.is_empty() { String::new() } else { format!(" WITH {}", parts.join(" ")) })
    }
}

/// `CREATE ROLE` with its options and memberships.
pub fn create_plan(spec: &RoleSpec, password: PasswordText) -> Result<DdlPlan, EngineError> {
    let name = spec.name.as_ref().ok_or_else(|| EngineError::Config("name is required".into()))?;
    let mut statement = format!("CREATE ROLE {name}{}", spec.options(password)?);
    if let Some(groups) = spec.member_of.as_ref().filter(|g| !g.is_empty()) {
        statement.push_str(&format!(" IN ROLE {}", join(groups)));
    }
    Ok(DdlPlan::new(vec![statement]))
}

/// `ALTER ROLE` for the options, grants and revokes to reach `member_of`, then the rename.
pub fn alter_plan(current: &Role, spec: &RoleSpec, password: PasswordText) -> Result<DdlPlan, EngineError> {
    let role = Ident::new(&current.name, "role name")?;
    let mut statements = Vec::new();
    let options = spec.options(password)?;
    if !options.is_empty() {
        statements.push(format!("ALTER ROLE {role}{options}"));
    }
    if let Some(wanted) = &spec.member_of {
        for group in wanted.iter().filter(|g| !current.member_of.iter().any(|m| m == g.as_str())) {
            statements.push(format!("GRANT {group} TO {role}"));
        }
        for group in current.member_of.iter().filter(|m| !wanted.iter().any(|g| g.as_str() == m.as_str())) {
            statements.push(format!("REVOKE {} FROM {role}", Ident::new(group, "member_of")?));
        }
    }
    if let Some(new_name) = spec.name.as_ref().filter(|n| n.as_str() != current.name) {
        statements.push(format!("ALTER ROLE {role} RENAME TO {new_name}"));
    }
    Ok(DdlPlan::new(statements))
}

/// `DROP ROLE`.
pub fn drop_plan(current: &Role) -> Result<DdlPlan, EngineError> {
    Ok(DdlPlan::new(vec![format!("DROP ROLE {}", Ident::new(&current.name, "role name")?)]))
}

fn join(names: &[Ident]) -> String {
    names.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_a_verifier_or_stars_never_the_clear_text() {
        let spec = RoleSpec {
            name: Some(Ident::new("app user", "name").unwrap()),
            password: Some("hunter2's secret".into()),
            can_login: Some(true),
            ..RoleSpec::default()
        };
        let real = create_plan(&spec, PasswordText::Verifier).unwrap().sql();
        assert!(!real.contains("hunter2"), "{real}");
        assert!(real.contains("PASSWORD 'SCRAM-SHA-256$4096:"), "{real}");
        let shown = create_plan(&spec, PasswordText::Masked).unwrap().sql();
        assert_eq!(shown, "CREATE ROLE \"app user\" WITH LOGIN PASSWORD '********';\n");
    }
}
