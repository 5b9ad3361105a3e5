//! The Redis command line: `POST /api/platform/redis/{ref}/command` runs one command on the
//! project's connection and answers its reply as typed JSON.
//!
//! Who may run what follows the server's own `COMMAND INFO` (see
//! [`crate::engines::redis::command`]): viewers reads, developers data writes, admins the rest except
//! commands that stop or reconfigure the server, which need the connection's
//! `allow_server_commands`. Writes and admin commands are audited with their name and first key,
//! never their arguments; reads leave no record.

use axum::extract::State;
use axum::Extension;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::open::Opened;
use super::redis::Target;
use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{Permission, Role};
use crate::engines::redis::command::{self, Class};
use crate::engines::redis::RedisClient;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::{AuditNote, DeferredAudit};

/// The most arguments one command may have.
const MAX_ARGS: usize = 10_000;

/// Body of `POST /command`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandBody {
    /// The command and its arguments, e.g. `["HGET", "user:1", "name"]`.
    args: Vec<String>,
    /// How the arguments are written: `utf8` (default) or `base64` for binary arguments.
    #[schemars(with = "Option<String>", extend("enum" = ["utf8", "base64", null]))]
    encoding: Option<crate::engines::redis::keys::Encoding>,
}

fn role_needed(class: &Class) -> &'static str {
    match class {
        Class::Read => "viewer",
        Class::Write => "developer",
        Class::Admin | Class::Server | Class::Refused(_) => "admin",
    }
}

/// `POST /api/platform/redis/{ref}/command`: runs one command; `{"reply": …}` with strings, numbers,
/// arrays, `null` for nil (binary strings as `{"base64": …}`). A server error is a 400 with its
/// message; a command the caller's role may not run is a 403 naming the role it needs.
pub async fn run_command(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
    audit: Option<Extension<DeferredAudit>>,
    note: AuditNote,
    ApiJson(body): ApiJson<CommandBody>,
) -> ApiResult<Data<Value>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    if body.args.is_empty() {
        return Err(ApiError::validation("args must name a command"));
    }
    if body.args.len() > MAX_ARGS {
        return Err(ApiError::validation(format!("a command takes at most {MAX_ARGS} arguments here")));
    }
    let encoding = body.encoding.unwrap_or(crate::engines::redis::keys::Encoding::Utf8);
    let args = body
        .args
        .iter()
        .map(|a| match encoding {
            crate::engines::redis::keys::Encoding::Utf8 => Ok(a.as_bytes().to_vec()),
            crate::engines::redis::keys::Encoding::Base64 => {
                B64.decode(a).map_err(|_| ApiError::validation("an argument is not valid base64"))
            }
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let Opened { record, client } = Opened::<RedisClient>::within(&app, &ctx, target.connection_id).await?;
    let facts = command::lookup(&client, &args).await?;
    let class = command::classify(&facts, &args);
    let shown = facts.name.replace('|', " ").to_uppercase();
    let allowed = match &class {
        Class::Refused(why) => return Err(ApiError::Forbidden(format!("{why}; it cannot be run here"))),
        Class::Read => true,
        Class::Write => ctx.role >= Role::Developer,
        Class::Admin => ctx.role >= Role::Admin,
        Class::Server => {
            let allows = record.options.get("allow_server_commands").and_then(Value::as_bool) == Some(true);
            if ctx.role >= Role::Admin && !allows {
                return Err(ApiError::Forbidden(format!(
                    "{shown} stops or reconfigures the server; an admin may run it only on a connection whose \
                     options set allow_server_commands"
                )));
            }
            ctx.role >= Role::Admin
        }
    };
    if !allowed {
        return Err(ApiError::Forbidden(format!(
            "{shown} needs the {} role on this project (you are {})",
            role_needed(&class),
            ctx.role
        )));
    }
    if class != Class::Read {
        // Recorded before it runs, with the command's name and first key, never its values.
        let key = command::first_key(&client, &facts, &args).await;
        let key = key.map(|k| String::from_utf8_lossy(&k).into_owned());
        if let Some(k) = &key {
            note.target(k.clone());
        }
        note.details(json!({ "command": shown, "key": key }));
        match &audit {
            Some(Extension(audit)) => audit.begin().await?,
            None => {
                return Err(ApiError::Unavailable(
                    "the audit trail is not available, so the command was not run".into(),
                ))
            }
        }
    }
    let reply = command::run(&client, &args).await?;
    Ok(Data(json!({ "reply": command::reply_json(&reply) })))
}
