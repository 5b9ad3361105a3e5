//! Row level security policies for `…/pg-meta/{ref}/policies`: listed like postgres-meta, created,
//! changed and dropped with quoted names. `definition` (USING) and `check` (WITH CHECK) are SQL
//! expressions by design; each is accepted only if the server parses it as one expression over the
//! table (see [`check_expression`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::catalog::{query, read_catalog, select, SchemaFilter, SCHEMA_FILTER};
use super::ddl::{DdlPlan, Ident, QualifiedName};
use super::{map_error, PostgresClient};
use crate::engines::EngineError;

/// A policy.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Policy {
    /// Its oid.
    pub id: i64,
    /// Schema of its table.
    pub schema: String,
    /// Its table.
    pub table: String,
    /// Oid of its table.
    pub table_id: i64,
    /// Its name.
    pub name: String,
    /// `PERMISSIVE` or `RESTRICTIVE`.
    pub action: String,
    /// The roles it applies to (`public`: every role).
    pub roles: Vec<String>,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// The `USING` expression.
    pub definition: Option<String>,
    /// The `WITH CHECK` expression.
    pub check: Option<String>,
}

/// `AS PERMISSIVE | RESTRICTIVE`.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PolicyAction {
    /// Combined with OR.
    Permissive,
    /// Combined with AND.
    Restrictive,
}

/// `FOR ALL | SELECT | INSERT | UPDATE | DELETE`.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PolicyCommand {
    /// Every command.
    All,
    /// `SELECT`.
    Select,
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

const POLICIES_SQL: &str = "SELECT pol.oid::int8, nc.nspname::text, c.relname::text, c.oid::int8, pol.polname::text,
       CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
       CASE WHEN pol.polroles = '{0}'::oid[] THEN ARRAY['public']
            ELSE ARRAY(SELECT r.rolname::text FROM pg_roles r WHERE r.oid = ANY(pol.polroles) ORDER BY r.rolname) END,
       CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE'
            ELSE 'ALL' END,
       pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)
     FROM pg_policy pol
     JOIN pg_class c ON c.oid = pol.polrelid
     JOIN pg_namespace nc ON nc.oid = c.relnamespace";

fn policy(r: &tokio_postgres::Row) -> Policy {
    Policy {
        id: r.get(0),
        schema: r.get(1),
        table: r.get(2),
        table_id: r.get(3),
        name: r.get(4),
        action: r.get(5),
        roles: r.get(6),
        command: r.get(7),
        definition: r.get(8),
        check: r.get(9),
    }
}

/// Lists the policies of tables in the filtered schemas.
pub async fn list(client: &PostgresClient, filter: &SchemaFilter) -> Result<Vec<Policy>, EngineError> {
    let sql = format!("{POLICIES_SQL} WHERE {SCHEMA_FILTER} ORDER BY nc.nspname, c.relname, pol.polname");
    let rows = read_catalog(client, async |s| select(s, &sql, filter).await).await?;
    Ok(rows.iter().map(policy).collect())
}

/// The policy with oid `id`, or `NotFound`.
pub async fn get(client: &PostgresClient, id: u32) -> Result<Policy, EngineError> {
    let sql = format!("{POLICIES_SQL} WHERE pol.oid = $1::int8::oid");
    let rows = read_catalog(client, async |s| query(s, &sql, &[&i64::from(id)]).await).await?;
    rows.first().map(policy).ok_or_else(|| EngineError::NotFound(format!("no policy with id {id}")))
}

/// A checked SQL expression of a policy or trigger, written inside its own parentheses.
#[derive(Debug, Clone)]
pub struct Expression(String);

impl std::fmt::Display for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The newline ends a `--` comment the text may finish with, so it cannot hide the `)`.
        write!(f, "({}\n)", self.0)
    }
}

/// Refuses what can never be one expression: empty text, NUL, and `;` (a statement separator; a
/// `;` inside a string literal is refused too, which policies and triggers practically never need).
pub fn expression_text(text: &str, field: &str) -> Result<Expression, EngineError> {
    if text.trim().is_empty() {
        return Err(EngineError::Config(format!("{field} must not be empty")));
    }
    if text.contains(';') || text.contains('\0') {
        return Err(EngineError::Config(format!(
            "{field} must be one SQL expression: it must not contain ';' or a NUL character"
        )));
    }
    Ok(Expression(text.to_string()))
}

/// Accepts `text` only if the server parses `SELECT (<text>) FROM <table> LIMIT 0` as one statement:
/// it is prepared (parsed and analysed, never run or planned) in a read-only transaction that is
/// rolled back, so a second statement or a text that closes the parentheses to add clauses fails.
pub async fn check_expression(
    client: &PostgresClient,
    table: &QualifiedName,
    text: &str,
    field: &str,
) -> Result<Expression, EngineError> {
    let expression = expression_text(text, field)?;
    // Our own login's session; it counts as changed, so it is reset before it is lent again.
    let session = client.session().await?;
    session.batch_execute("BEGIN READ ONLY").await.map_err(map_error)?;
    let prepared = session.prepare(&format!("SELECT {expression} FROM {table} LIMIT 0")).await;
    session.batch_execute("ROLLBACK").await.map_err(map_error)?;
    match prepared {
        Ok(_) => Ok(expression),
        Err(e) => Err(match map_error(e) {
            EngineError::Query { message, details } => EngineError::Query {
                message: format!("{field} is not one SQL expression over {table}: {message}"),
                details,
            },
            other => other,
        }),
    }
}

/// Who a policy applies to: `public` means every role (the `PUBLIC` keyword), any other name a role.
pub fn role_list(roles: &[String]) -> Result<String, EngineError> {
    let names = roles
        .iter()
        .map(|r| if r == "public" { Ok("PUBLIC".to_string()) } else { Ident::new(r, "roles").map(|i| i.to_string()) })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names.join(", "))
}

/// What a new policy says.
pub struct NewPolicy<'a> {
    /// Its table.
    pub table: &'a QualifiedName,
    /// Its name.
    pub name: Ident,
    /// `PERMISSIVE` (default) or `RESTRICTIVE`.
    pub action: PolicyAction,
    /// The command it covers (default `ALL`).
    pub command: PolicyCommand,
    /// Roles (default: every role).
    pub roles: Option<&'a [String]>,
    /// `USING`.
    pub definition: Option<Expression>,
    /// `WITH CHECK`.
    pub check: Option<Expression>,
}

/// `CREATE POLICY`.
pub fn create_plan(p: &NewPolicy<'_>) -> Result<DdlPlan, EngineError> {
    let action = match p.action {
        PolicyAction::Permissive => "PERMISSIVE",
        PolicyAction::Restrictive => "RESTRICTIVE",
    };
    let command = match p.command {
        PolicyCommand::All => "ALL",
        PolicyCommand::Select => "SELECT",
        PolicyCommand::Insert => "INSERT",
        PolicyCommand::Update => "UPDATE",
        PolicyCommand::Delete => "DELETE",
    };
    let mut statement = format!("CREATE POLICY {} ON {} AS {action} FOR {command}", p.name, p.table);
    if let Some(roles) = p.roles.filter(|r| !r.is_empty()) {
        statement.push_str(&format!(" TO {}", role_list(roles)?));
    }
    if let Some(using) = &p.definition {
        statement.push_str(&format!(" USING {using}"));
    }
    if let Some(check) = &p.check {
        statement.push_str(&format!(" WITH CHECK {check}"));
    }
    Ok(DdlPlan::new(vec![statement]))
}

/// What a policy change says; `None` leaves a part as it is.
pub struct PolicyChange<'a> {
    /// A new name.
    pub name: Option<Ident>,
    /// New roles.
    pub roles: Option<&'a [String]>,
    /// A new `USING`.
    pub definition: Option<Expression>,
    /// A new `WITH CHECK`.
    pub check: Option<Expression>,
}

/// `ALTER POLICY` for roles and expressions, then the rename.
pub fn alter_plan(current: &Policy, table: &QualifiedName, c: &PolicyChange<'_>) -> Result<DdlPlan, EngineError> {
    let name = Ident::new(&current.name, "policy name")?;
    let mut statements = Vec::new();
    let mut parts = String::new();
    if let Some(roles) = c.roles {
        if roles.is_empty() {
            return Err(EngineError::Config("roles must name at least one role (or public)".into()));
        }
        parts.push_str(&format!(" TO {}", role_list(roles)?));
    }
    if let Some(using) = &c.definition {
        parts.push_str(&format!(" USING {using}"));
    }
    if let Some(check) = &c.check {
        parts.push_str(&format!(" WITH CHECK {check}"));
    }
    if !parts.is_empty() {
        statements.push(format!("ALTER POLICY {name} ON {table}{parts}"));
    }
    if let Some(new_name) = c.name.as_ref().filter(|n| n.as_str() != current.name) {
        statements.push(format!("ALTER POLICY {name} ON {table} RENAME TO {new_name}"));
    }
    Ok(DdlPlan::new(statements))
}

/// `DROP POLICY`.
pub fn drop_plan(current: &Policy, table: &QualifiedName) -> Result<DdlPlan, EngineError> {
    Ok(DdlPlan::new(vec![format!("DROP POLICY {} ON {table}", Ident::new(&current.name, "policy name")?)]))
}
