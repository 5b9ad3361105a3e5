//! Redis data routes (spec 3.2-3.4): keys, values, TTLs, server info and stats, on the project's
//! primary Redis connection or `?connection_id=`. Reads need viewer, writes need developer.
//!
//! Keys may hold any bytes: the `{key}` path segment is percent-decoded into raw bytes here rather
//! than by axum (which insists on UTF-8).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{OriginalUri, State};
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::open::Opened;
use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::{App, AppState};
use crate::auth::{authorize, AuthUser, ProjectContext};
use crate::domain::{ConnectionId, Permission};
use crate::engines::redis::keys::{self, Condition, Encoding, NewValue, ReadOptions, TtlChange};
use crate::engines::redis::{glob, info, RedisClient};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

const KEY_TYPES: [&str; 6] = ["string", "hash", "list", "set", "zset", "stream"];

/// Picks the connection: `?connection_id=` or the primary.
#[derive(Deserialize, Default, JsonSchema)]
pub struct Target {
    pub(crate) connection_id: Option<ConnectionId>,
}

async fn redis_client(app: &App, ctx: &ProjectContext, connection_id: Option<ConnectionId>) -> ApiResult<RedisClient> {
    Ok(redis_connection(app, ctx, connection_id).await?.1)
}

/// The pooled Redis client of `connection_id` (or the primary), with the connection's id.
pub(crate) async fn redis_connection(
    app: &App,
    ctx: &ProjectContext,
    connection_id: Option<ConnectionId>,
) -> ApiResult<(ConnectionId, RedisClient)> {
    let opened = Opened::<RedisClient>::within(app, ctx, connection_id).await?;
    Ok((opened.id(), opened.client))
}

/// The project ref and the raw bytes of the key, read from the raw path
/// (`/api/platform/redis/{ref}/keys/{key}[/expire]`): axum's `Path` would refuse a key that is not
/// UTF-8 before any handler runs.
fn ref_and_key(uri: &OriginalUri) -> ApiResult<(String, Vec<u8>)> {
    let mut segments = uri.0.path().split('/').skip_while(|s| *s != "redis").skip(1);
    let project_ref = segments.next().unwrap_or_default();
    let project_ref = percent_encoding::percent_decode_str(project_ref)
        .decode_utf8()
        .map_err(|_| ApiError::validation("the project ref is not valid UTF-8"))?
        .into_owned();
    let raw = segments
        .nth(1)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::validation("the key is missing from the path"))?;
    Ok((project_ref, percent_encoding::percent_decode_str(raw).collect()))
}

/// A key route's first steps: the project and key from the raw path, the permission check, and
/// the pooled client.
async fn open_key(
    app: &App,
    user: &AuthUser,
    uri: &OriginalUri,
    permission: Permission,
    connection_id: Option<ConnectionId>,
) -> ApiResult<(RedisClient, Vec<u8>)> {
    let (project_ref, key) = ref_and_key(uri)?;
    let ctx = authorize(app, user, &project_ref, permission).await?;
    Ok((redis_client(app, &ctx, connection_id).await?, key))
}

fn key_not_found() -> ApiError {
    ApiError::NotFound("key not found".into())
}

fn parse_cursor(cursor: Option<&str>) -> ApiResult<u64> {
    match cursor {
        None | Some("") => Ok(0),
        Some(c) => {
            c.parse().map_err(|_| ApiError::validation("cursor must be the value returned by the previous page"))
        }
    }
}

/// Query of `GET /keys`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListKeysQuery {
    connection_id: Option<ConnectionId>,
    /// Glob of the keys to list (SCAN MATCH), default `*`.
    pattern: Option<String>,
    /// Where to continue: the `cursor` of the previous page (`0` or absent to start).
    cursor: Option<String>,
    /// SCAN COUNT hint: about how many keys to look at per master (1-1000, default 100).
    count: Option<u32>,
    /// Only keys of this type (SCAN TYPE).
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["string", "hash", "list", "set", "zset", "stream"]))]
    key_type: Option<String>,
}

/// `GET /api/platform/redis/{ref}/keys`: one SCAN page with type, TTL and size per key.
pub async fn list_keys(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListKeysQuery>,
) -> ApiResult<Data<keys::KeyPage>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    if let Some(t) = &q.key_type {
        if !KEY_TYPES.contains(&t.as_str()) {
            return Err(ApiError::validation(format!("type must be one of {}", KEY_TYPES.join(", "))));
        }
    }
    let count = q.count.unwrap_or(100).clamp(1, keys::MAX_PAGE);
    let cursor = q.cursor.filter(|c| !c.is_empty()).unwrap_or_else(|| "0".into());
    let client = redis_client(&app, &ctx, q.connection_id).await?;
    let pattern = q.pattern.filter(|p| !p.is_empty()).unwrap_or_else(|| "*".into());
    Ok(Data(keys::scan(&client, &pattern, &cursor, count, q.key_type.as_deref(), app.redis_scan).await?))
}

/// Query of `GET /keys/{key}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadKeyQuery {
    connection_id: Option<ConnectionId>,
    /// Hashes, sets, sorted sets: the HSCAN/SSCAN/ZSCAN cursor of the previous page (`0` to start).
    cursor: Option<String>,
    /// Page size for scans and streams (default 100).
    count: Option<u32>,
    /// Lists, sorted sets: first index (default 0); with `min`/`max`, the offset in the range.
    start: Option<i64>,
    /// Lists, sorted sets: last index, inclusive (at most 1000 elements are read).
    stop: Option<i64>,
    /// Streams: first entry id, inclusive (default `-`, the oldest).
    stream_start: Option<String>,
    /// Strings: answer a big value whole instead of its first bytes.
    full: Option<bool>,
    /// Hashes, sets, sorted sets: only elements matching this glob (HSCAN/SSCAN/ZSCAN MATCH);
    /// page on with `cursor`.
    #[serde(rename = "match")]
    match_pattern: Option<String>,
    /// Like `match`, but a plain text the elements must contain (glob characters taken literally).
    contains: Option<String>,
    /// Sorted sets: highest score first.
    rev: Option<bool>,
    /// Sorted sets: lowest score (`-inf`, a number, `(` before it for exclusive); with `max`, the
    /// page is `count` members from offset `start` within the range.
    min: Option<String>,
    /// Sorted sets: highest score (`+inf`, a number, `(` before it for exclusive).
    max: Option<String>,
}

async fn read_view(client: &RedisClient, key: &[u8], opts: &ReadOptions) -> ApiResult<Value> {
    keys::read(client, key, opts).await?.ok_or_else(key_not_found)
}

/// `GET /api/platform/redis/{ref}/keys/{key}`: metadata and a page of the value.
pub async fn get_key(
    State(app): State<AppState>,
    user: AuthUser,
    uri: OriginalUri,
    ApiQuery(q): ApiQuery<ReadKeyQuery>,
) -> ApiResult<Data<Value>> {
    let (client, key) = open_key(&app, &user, &uri, Permission::Read, q.connection_id).await?;
    let opts = ReadOptions {
        cursor: parse_cursor(q.cursor.as_deref())?,
        count: q.count.unwrap_or(100),
        start: q.start.unwrap_or(0),
        stop: q.stop,
        stream_start: q.stream_start,
        full: q.full.unwrap_or(false),
        value_limit: keys::DEFAULT_VALUE_LIMIT,
        match_pattern: match (q.match_pattern.filter(|p| !p.is_empty()), q.contains.filter(|c| !c.is_empty())) {
            (Some(_), Some(_)) => return Err(ApiError::validation("give match or contains, not both")),
            (Some(p), None) => Some(p),
            (None, Some(text)) => Some(glob::contains(&text)),
            (None, None) => None,
        },
        rev: q.rev.unwrap_or(false),
        score_range: match (q.min.filter(|m| !m.is_empty()), q.max.filter(|m| !m.is_empty())) {
            (None, None) => None,
            (min, max) => Some((min.unwrap_or_else(|| "-inf".into()), max.unwrap_or_else(|| "+inf".into()))),
        },
    };
    Ok(Data(read_view(&client, &key, &opts).await?))
}

/// Body of create and update.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteKey {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["string", "hash", "list", "set", "zset", "stream", null]))]
    key_type: Option<String>,
    value: Option<Value>,
    ttl: Option<i64>,
    #[serde(default)]
    nx: bool,
    #[serde(default)]
    xx: bool,
    #[schemars(with = "Option<String>", extend("enum" = ["utf8", "base64", null]))]
    value_encoding: Option<Encoding>,
}

fn scalar(v: &Value, encoding: Encoding, what: &str) -> ApiResult<Vec<u8>> {
    match v {
        Value::String(s) => keys::decode(s, encoding).map_err(ApiError::from),
        Value::Number(_) | Value::Bool(_) => Ok(v.to_string().into_bytes()),
        Value::Null => Err(ApiError::validation(format!("{what} must not be null"))),
        other => Ok(other.to_string().into_bytes()),
    }
}

fn pairs(v: &Value, encoding: Encoding, what: &str) -> ApiResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let map =
        v.as_object().ok_or_else(|| ApiError::validation(format!("a {what} value must be an object of fields")))?;
    map.iter()
        .map(|(f, v)| Ok((keys::decode(f, encoding)?, scalar(v, encoding, "a field value")?)))
        .collect::<ApiResult<Vec<_>>>()
}

/// Shapes a JSON value for a Redis type (spec 3.2 and the issue: object for hash, array for list and
/// set, `{member, score}` array for zset, field map for a stream entry).
fn shape(key_type: &str, value: &Value, encoding: Encoding) -> ApiResult<NewValue> {
    let items = |what: &str| -> ApiResult<Vec<Vec<u8>>> {
        let arr = value.as_array().ok_or_else(|| ApiError::validation(format!("a {what} value must be an array")))?;
        arr.iter().map(|v| scalar(v, encoding, "an element")).collect()
    };
    let shaped = match key_type {
        "string" => NewValue::String(scalar(value, encoding, "value")?),
        "hash" => NewValue::Hash(pairs(value, encoding, "hash")?),
        "stream" => NewValue::Stream(pairs(value, encoding, "stream entry")?),
        "list" => NewValue::List(items("list")?),
        "set" => NewValue::Set(items("set")?),
        "zset" => {
            let arr = value
                .as_array()
                .ok_or_else(|| ApiError::validation("a zset value must be an array of {member, score}"))?;
            let members = arr
                .iter()
                .map(|e| {
                    let score = e.get("score").and_then(Value::as_f64);
                    match (e.get("member"), score) {
                        (Some(m), Some(s)) if s.is_finite() => Ok((s, scalar(m, encoding, "member")?)),
                        _ => Err(ApiError::validation(
                            "each zset element must be {\"member\": …, \"score\": <finite number>}",
                        )),
                    }
                })
                .collect::<ApiResult<Vec<_>>>()?;
            NewValue::ZSet(members)
        }
        other => return Err(ApiError::validation(format!("type `{other}` is not one of {}", KEY_TYPES.join(", ")))),
    };
    let empty = match &shaped {
        NewValue::String(_) => false,
        NewValue::Hash(p) | NewValue::Stream(p) => p.is_empty(),
        NewValue::List(i) | NewValue::Set(i) => i.is_empty(),
        NewValue::ZSet(m) => m.is_empty(),
    };
    if empty {
        return Err(ApiError::validation(format!(
            "a {key_type} value must not be empty (Redis does not keep empty collections)"
        )));
    }
    Ok(shaped)
}

fn check_ttl(ttl: Option<i64>) -> ApiResult<Option<i64>> {
    match ttl {
        Some(t) if t <= 0 => Err(ApiError::validation("ttl must be a positive number of seconds")),
        other => Ok(other),
    }
}

fn default_opts() -> ReadOptions {
    ReadOptions { count: 100, value_limit: keys::DEFAULT_VALUE_LIMIT, ..Default::default() }
}

/// `POST /api/platform/redis/{ref}/keys/{key}`: creates (or with neither `nx` nor `xx`, replaces) a key.
pub async fn create_key(
    State(app): State<AppState>,
    user: AuthUser,
    uri: OriginalUri,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<WriteKey>,
) -> ApiResult<(StatusCode, Data<Value>)> {
    let (client, key) = open_key(&app, &user, &uri, Permission::Write, target.connection_id).await?;
    if body.nx && body.xx {
        return Err(ApiError::validation("nx and xx cannot both be set"));
    }
    let key_type = body.key_type.as_deref().unwrap_or("string");
    let value = body.value.as_ref().ok_or_else(|| ApiError::validation("value is required"))?;
    let value = shape(key_type, value, body.value_encoding.unwrap_or(Encoding::Utf8))?;
    let ttl = match check_ttl(body.ttl)? {
        Some(s) => TtlChange::Seconds(s),
        None => TtlChange::Clear,
    };
    let condition = if body.nx {
        Condition::IfMissing
    } else if body.xx {
        Condition::IfExists
    } else {
        Condition::Always
    };
    if !keys::write(&client, &key, &value, condition, ttl, false).await? {
        let why = if body.nx { "the key already exists (nx)" } else { "the key does not exist (xx)" };
        return Err(ApiError::Conflict(why.into()));
    }
    Ok((StatusCode::CREATED, Data(read_view(&client, &key, &default_opts()).await?)))
}

/// `PUT /api/platform/redis/{ref}/keys/{key}`: replaces the value (keeping the TTL unless one is
/// given) and/or sets the TTL. A stream gets the entry appended. A missing key is a 404.
pub async fn update_key(
    State(app): State<AppState>,
    user: AuthUser,
    uri: OriginalUri,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<WriteKey>,
) -> ApiResult<Data<Value>> {
    let (client, key) = open_key(&app, &user, &uri, Permission::Write, target.connection_id).await?;
    if body.nx || body.xx {
        return Err(ApiError::validation("nx and xx apply to POST; PUT always requires the key to exist"));
    }
    let ttl = check_ttl(body.ttl)?;
    if body.value.is_none() && ttl.is_none() {
        return Err(ApiError::validation("give a value, a ttl, or both"));
    }
    let existing = keys::key_type(&client, &key).await?;
    if existing == "none" {
        return Err(key_not_found());
    }
    match &body.value {
        Some(value) => {
            let key_type = body.key_type.clone().unwrap_or(existing.clone());
            let value = shape(&key_type, value, body.value_encoding.unwrap_or(Encoding::Utf8))?;
            let ttl = ttl.map(TtlChange::Seconds).unwrap_or(TtlChange::Keep);
            let append = key_type == "stream" && existing == "stream";
            if !keys::write(&client, &key, &value, Condition::IfExists, ttl, append).await? {
                return Err(key_not_found());
            }
        }
        None => {
            if !keys::expire(&client, &key, ttl).await? {
                return Err(key_not_found());
            }
        }
    }
    Ok(Data(read_view(&client, &key, &default_opts()).await?))
}

/// Body of `PATCH /keys/{key}`: element edits of a collection (beyond the spec's table).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditKey {
    /// Hash fields to set.
    set: Option<Value>,
    /// List values to append, set members to add, or sorted-set `{member, score}`s.
    add: Option<Vec<Value>>,
    /// Hash fields, set/sorted-set members, stream ids or list values to remove.
    remove: Option<Vec<Value>>,
    /// List: `{index, value}` to replace one element.
    set_index: Option<Value>,
    #[schemars(with = "Option<String>", extend("enum" = ["utf8", "base64", null]))]
    value_encoding: Option<Encoding>,
}

/// `PATCH /api/platform/redis/{ref}/keys/{key}`: changes some elements of a hash, list, set,
/// sorted set or stream in one MULTI/EXEC, without rewriting the whole value.
pub async fn edit_key(
    State(app): State<AppState>,
    user: AuthUser,
    uri: OriginalUri,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<EditKey>,
) -> ApiResult<Data<Value>> {
    let (client, key) = open_key(&app, &user, &uri, Permission::Write, target.connection_id).await?;
    let encoding = body.value_encoding.unwrap_or(Encoding::Utf8);
    let key_type = keys::key_type(&client, &key).await?;
    if key_type == "none" {
        return Err(key_not_found());
    }
    let mut edit = keys::ElementEdit::default();
    if let Some(set) = &body.set {
        edit.set_fields = pairs(set, encoding, "set")?;
    }
    for v in body.add.iter().flatten() {
        if key_type == "zset" {
            let score = v.get("score").and_then(Value::as_f64).filter(|s| s.is_finite());
            match (v.get("member"), score) {
                (Some(m), Some(s)) => edit.add_scored.push((s, scalar(m, encoding, "member")?)),
                _ => {
                    return Err(ApiError::validation(
                        "sorted-set additions are {\"member\": …, \"score\": <finite number>}",
                    ))
                }
            }
        } else {
            edit.add.push(scalar(v, encoding, "an element")?);
        }
    }
    for v in body.remove.iter().flatten() {
        edit.remove.push(scalar(v, encoding, "an element to remove")?);
    }
    if let Some(si) = &body.set_index {
        let index = si
            .get("index")
            .and_then(Value::as_i64)
            .ok_or_else(|| ApiError::validation("set_index needs an integer index"))?;
        let value = si.get("value").ok_or_else(|| ApiError::validation("set_index needs a value"))?;
        edit.set_index = Some((index, scalar(value, encoding, "value")?));
    }
    keys::edit_elements(&client, &key, &key_type, &edit).await?;
    // An edit may remove the last element, and Redis then deletes the key.
    match keys::read(&client, &key, &default_opts()).await? {
        Some(view) => Ok(Data(view)),
        None => Ok(Data(serde_json::json!({ "deleted": true }))),
    }
}

/// `DELETE /api/platform/redis/{ref}/keys/{key}` (UNLINK).
pub async fn delete_key(
    State(app): State<AppState>,
    user: AuthUser,
    uri: OriginalUri,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<StatusCode> {
    let (client, key) = open_key(&app, &user, &uri, Permission::Write, target.connection_id).await?;
    if !keys::unlink(&client, &key).await? {
        return Err(key_not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST …/keys/{key}/rename`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    /// The new name.
    new_key: String,
    /// Replace a key already named `new_key` (RENAME) instead of refusing with 409 (RENAMENX).
    #[serde(default)]
    overwrite: bool,
    /// How `new_key` is written: `utf8` (default) or `base64`.
    #[schemars(with = "Option<String>", extend("enum" = ["utf8", "base64", null]))]
    key_encoding: Option<Encoding>,
}

/// `POST /api/platform/redis/{ref}/keys/{key}/rename`: renames a key, keeping its value and TTL.
/// 409 when `new_key` exists and `overwrite` is false.
pub async fn rename_key(
    State(app): State<AppState>,
    user: AuthUser,
    uri: OriginalUri,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
    ApiJson(body): ApiJson<RenameBody>,
) -> ApiResult<Data<Value>> {
    let (client, key) = open_key(&app, &user, &uri, Permission::Write, target.connection_id).await?;
    let new_key = keys::decode(&body.new_key, body.key_encoding.unwrap_or(Encoding::Utf8))?;
    if new_key.is_empty() {
        return Err(ApiError::validation("new_key must not be empty"));
    }
    if new_key == key {
        return Err(ApiError::validation("new_key is the key's current name"));
    }
    note.details(serde_json::json!({
        "from": String::from_utf8_lossy(&key),
        "to": String::from_utf8_lossy(&new_key),
        "overwrite": body.overwrite,
    }));
    if !keys::rename(&client, &key, &new_key, body.overwrite).await? {
        return Err(ApiError::Conflict("a key with the new name exists; set overwrite to replace it".into()));
    }
    Ok(Data(read_view(&client, &new_key, &default_opts()).await?))
}

/// Body of `POST …/expire`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpireBody {
    ttl: i64,
}

/// `POST /api/platform/redis/{ref}/keys/{key}/expire`: `ttl > 0` sets it, `-1` removes it.
pub async fn expire_key(
    State(app): State<AppState>,
    user: AuthUser,
    uri: OriginalUri,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<ExpireBody>,
) -> ApiResult<Data<Expiry>> {
    let (client, key) = open_key(&app, &user, &uri, Permission::Write, target.connection_id).await?;
    let seconds = match body.ttl {
        t if t > 0 => Some(t),
        -1 => None,
        _ => return Err(ApiError::validation("ttl must be a positive number of seconds, or -1 to remove the expiry")),
    };
    if !keys::expire(&client, &key, seconds).await? {
        return Err(key_not_found());
    }
    Ok(Data(Expiry { ttl: seconds.unwrap_or(-1) }))
}

/// The answer of `POST …/keys/{key}/expire`.
#[derive(Serialize, JsonSchema)]
pub struct Expiry {
    /// The key's TTL now, in seconds; -1 without expiry.
    pub ttl: i64,
}

/// The schema of `PATCH …/keys/{key}`'s answer: the key read back, or `{"deleted": true}` when the
/// edit removed its last element (Redis then deletes the key).
pub fn edited_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [
            keys::key_view_schema(generator),
            { "type": "object", "required": ["deleted"], "properties": { "deleted": { "const": true } } }
        ]
    })
}

/// `GET /api/platform/redis/{ref}/info`: typed INFO plus the raw sections.
pub async fn server_info(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Value>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let client = redis_client(&app, &ctx, target.connection_id).await?;
    Ok(Data(info::info(&client).await?))
}

/// Query of `GET /stats`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    connection_id: Option<ConnectionId>,
    /// With `Accept: text/event-stream`: seconds between samples (1-60, default 2).
    interval: Option<u64>,
}

/// `GET /api/platform/redis/{ref}/stats`: one sample, or with `Accept: text/event-stream` a sample
/// every `interval` seconds (1-60, default 2) until the client leaves.
pub async fn stats(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let interval = q.interval.unwrap_or(2);
    if !(1..=60).contains(&interval) {
        return Err(ApiError::validation("interval must be between 1 and 60 seconds"));
    }
    let client = redis_client(&app, &ctx, q.connection_id).await?;
    let wants_stream =
        headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/event-stream"));
    if !wants_stream {
        return Ok(Data(info::sample(&client).await?).into_response());
    }
    let period = Duration::from_secs(interval);
    let stream = futures_util::stream::unfold((client, true), move |(client, first)| async move {
        if !first {
            tokio::time::sleep(period).await;
        }
        let event = match info::sample(&client).await {
            Ok(sample) => Event::default().event("sample").json_data(sample).unwrap_or_default(),
            Err(e) => Event::default().event("error").data(e.to_string()),
        };
        Some((Ok::<_, Infallible>(event), (client, false)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// Query of `GET /pubsub/channels`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsQuery {
    connection_id: Option<ConnectionId>,
    /// Only channels matching this glob (PUBSUB CHANNELS pattern).
    pattern: Option<String>,
}

/// Header carrying PUBSUB NUMPAT beside the spec's array of channels.
pub const PATTERN_COUNT_HEADER: &str = "x-pubsub-pattern-subscriptions";

/// `GET /api/platform/redis/{ref}/pubsub/channels`: active channels with subscriber counts; the
/// number of pattern subscriptions rides in the `x-pubsub-pattern-subscriptions` header, keeping the
/// spec's array shape.
pub async fn pubsub_channels(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChannelsQuery>,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let client = redis_client(&app, &ctx, q.connection_id).await?;
    let pattern = q.pattern.filter(|p| !p.is_empty()).unwrap_or_else(|| "*".into());
    let (channels, numpat) = crate::engines::redis::pubsub::channels(&client, &pattern).await?;
    let mut response = Data(channels).into_response();
    response.headers_mut().insert(PATTERN_COUNT_HEADER, numpat.into());
    Ok(response)
}

/// Body of `POST /pubsub/publish`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    channel: String,
    message: Value,
}

/// `POST /api/platform/redis/{ref}/pubsub/publish`: strings are sent as they are, anything else as JSON text.
pub async fn publish(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<PublishBody>,
) -> ApiResult<Data<Published>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    if body.channel.is_empty() {
        return Err(ApiError::validation("channel must not be empty"));
    }
    let message = match &body.message {
        Value::String(s) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    };
    let client = redis_client(&app, &ctx, target.connection_id).await?;
    let reached = crate::engines::redis::pubsub::publish(&client, &body.channel, &message).await?;
    Ok(Data(Published { subscribers_reached: reached }))
}

/// The answer of `POST …/pubsub/publish`.
#[derive(Serialize, JsonSchema)]
pub struct Published {
    /// How many subscribers received the message (PUBLISH's reply).
    pub subscribers_reached: i64,
}
