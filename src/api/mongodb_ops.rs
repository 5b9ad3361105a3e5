//! MongoDB operations: what the server is doing (`GET …/operations`) and stopping an operation
//! (`DELETE …/operations/{opid}`, admins, audited), the profiler of a database (`GET/PUT
//! …/profiling`, admins change it; `GET …/profile` reads `system.profile`), query plans (`POST
//! …/explain`), Compass-style schema analysis (`POST …/schema`) and index usage (`GET
//! …/index-stats`). Every member may read; filters and pipelines go through the same operator
//! guard as find and aggregate.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::mongodb::{document, pipeline, Mongo, Target};
use super::{ApiJson, ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::mongodb::ops::{self, Explained, FindSpec, Killed, NewProfiling, OpId, Verbosity};
use crate::engines::mongodb::{admin, documents, sanitize, schema};
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// Query of `GET …/operations`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationsQuery {
    connection_id: Option<ConnectionId>,
    /// `true` lists idle connections and cursors too (`$all`), not only active operations.
    all: Option<bool>,
}

/// List the server's current operations (`currentOp`), the longest running first.
pub async fn operations(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(q): ApiQuery<OperationsQuery>,
) -> ApiResult<Data<Vec<ops::Operation>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let mongo = Mongo::within(&app, &ctx, q.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, ops::current_ops(&mongo.client, q.all.unwrap_or(false)).await)?))
}

/// Stop an operation (`killOp`; admins); 404 when `currentOp` does not list it.
pub async fn kill_operation(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, opid)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
) -> ApiResult<StatusCode> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let id = OpId::parse(&opid)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    note.connection(mongo.record.id);
    note.target(format!("operation {opid}"));
    match mongo.scrubbed(&app, ops::kill_op(&mongo.client, &id).await)? {
        Killed::NotFound => Err(ApiError::NotFound(format!("no operation with opid {opid} is running"))),
        Killed::Asked => Ok(StatusCode::NO_CONTENT),
        Killed::Unchecked => {
            note.details(json!({ "checked": false }));
            Ok(StatusCode::NO_CONTENT)
        }
    }
}

/// Read a database's profiler level, `slowms` and sample rate.
pub async fn profiling(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<ops::Profiling>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    admin::check_database_name(&database)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, ops::get_profiling(&mongo.client, &database).await)?))
}

/// Body of `PUT …/profiling`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilingBody {
    /// 0 off, 1 slow operations only, 2 every operation.
    level: i32,
    /// Operations slower than this many milliseconds are slow (0-3,600,000; mongod's default 100).
    slowms: Option<i64>,
    /// Share of slow operations recorded, more than 0 and at most 1.
    sample_rate: Option<f64>,
}

/// Set a database's profiler level and `slowms` (admins; audited); answers the new settings.
pub async fn set_profiling(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    note: AuditNote,
    ApiJson(body): ApiJson<ProfilingBody>,
) -> ApiResult<Data<ops::Profiling>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    if !(0..=2).contains(&body.level) {
        return Err(ApiError::validation("level must be 0 (off), 1 (slow operations) or 2 (everything)"));
    }
    if body.slowms.is_some_and(|ms| !(0..=3_600_000).contains(&ms)) {
        return Err(ApiError::validation("slowms must be between 0 and 3600000"));
    }
    if body.sample_rate.is_some_and(|r| !(r > 0.0 && r <= 1.0)) {
        return Err(ApiError::validation("sample_rate must be more than 0 and at most 1"));
    }
    admin::check_database_name(&database)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    note.connection(mongo.record.id);
    note.target(format!("profiling of {database}"));
    note.details(json!({ "level": body.level, "slowms": body.slowms, "sample_rate": body.sample_rate }));
    let new = NewProfiling { level: body.level, slowms: body.slowms, sample_rate: body.sample_rate };
    Ok(Data(mongo.scrubbed(&app, ops::set_profiling(&mongo.client, &database, &new).await)?))
}

/// Query of `GET …/profile`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileQuery {
    connection_id: Option<ConnectionId>,
    /// Entries returned, newest first (1-1000, default 100).
    limit: Option<i64>,
    /// Only operations that took at least this many milliseconds.
    min_millis: Option<i64>,
}

/// Read the slow operations the profiler recorded in `system.profile`, newest first.
pub async fn profile(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ProfileQuery>,
) -> ApiResult<Data<Vec<ops::ProfileEntry>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=ops::MAX_PROFILE_ENTRIES).contains(&limit) {
        return Err(ApiError::validation(format!("limit must be between 1 and {}", ops::MAX_PROFILE_ENTRIES)));
    }
    if q.min_millis.is_some_and(|ms| ms < 0) {
        return Err(ApiError::validation("min_millis must not be negative"));
    }
    admin::check_database_name(&database)?;
    let mongo = Mongo::within(&app, &ctx, q.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, ops::profile(&mongo.client, &database, limit, q.min_millis).await)?))
}

/// Body of `POST …/explain`: a find (`filter`, `sort`, `projection`, `limit`, `skip`) or an
/// aggregation (`pipeline`), and how much to explain.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainBody {
    /// The find's filter (Extended JSON).
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    filter: Option<Value>,
    /// The find's sort.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    sort: Option<Value>,
    /// The find's projection.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    projection: Option<Value>,
    /// The find's limit.
    limit: Option<i64>,
    /// The find's skip.
    skip: Option<i64>,
    /// An aggregation pipeline instead of a find.
    #[schemars(with = "Option<Vec<serde_json::Map<String, Value>>>")]
    pipeline: Option<Vec<Value>>,
    /// `queryPlanner` (default: plans only) or `executionStats` (runs the winning plan's reads).
    verbosity: Option<String>,
    /// Time limit in milliseconds (at most 30,000, the default).
    max_time_ms: Option<u64>,
}

/// Explain a find or an aggregation: winning plan, stages, index used, documents and keys examined.
pub async fn explain(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<ExplainBody>,
) -> ApiResult<Data<ops::Explanation>> {
    let writes = body.pipeline.as_ref().is_some_and(|p| sanitize::writes(p));
    // Explaining a writing pipeline is planning a write: the same role as running it.
    let need = if writes { Permission::Write } else { Permission::Read };
    let ctx = authorize(&app, &user, &project_ref, need).await?;
    let verbosity = match body.verbosity.as_deref() {
        None | Some("queryPlanner") => Verbosity::QueryPlanner,
        Some("executionStats") => Verbosity::ExecutionStats,
        Some(other) => {
            return Err(ApiError::validation(format!("verbosity `{other}` is not one of queryPlanner, executionStats")))
        }
    };
    if writes && verbosity == Verbosity::ExecutionStats {
        return Err(ApiError::validation(
            "executionStats would run the pipeline's $out/$merge: explain a writing pipeline with queryPlanner",
        ));
    }
    let max_time = max_time(body.max_time_ms, documents::MAX_TIME)?;
    let find_given = body.filter.is_some()
        || body.sort.is_some()
        || body.projection.is_some()
        || body.limit.is_some()
        || body.skip.is_some();
    let what = match body.pipeline {
        Some(_) if find_given => {
            return Err(ApiError::validation(
                "give a find (filter, sort, projection, limit, skip) or a pipeline, not both",
            ))
        }
        Some(stages) => Explained::Aggregate(pipeline("pipeline", stages)?),
        None => {
            if body.limit.is_some_and(|l| l < 0) || body.skip.is_some_and(|s| s < 0) {
                return Err(ApiError::validation("limit and skip must not be negative"));
            }
            Explained::Find(Box::new(FindSpec {
                filter: body.filter.map(|f| document("filter", f)).transpose()?.unwrap_or_default(),
                sort: body.sort.map(|s| document("sort", s)).transpose()?,
                projection: body.projection.map(|p| document("projection", p)).transpose()?,
                limit: body.limit,
                skip: body.skip,
            }))
        }
    };
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    let explained = ops::explain(&mongo.client, &database, &collection, what, verbosity, max_time).await;
    Ok(Data(mongo.scrubbed(&app, explained)?))
}

/// A caller's `max_time_ms`: at least 1, at most `cap` (the default).
fn max_time(ms: Option<u64>, cap: Duration) -> ApiResult<Duration> {
    match ms {
        None => Ok(cap),
        Some(0) => Err(ApiError::validation("max_time_ms must be at least 1")),
        Some(ms) => Ok(Duration::from_millis(ms).min(cap)),
    }
}

/// Body of `POST …/schema` (every field optional).
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SchemaBody {
    /// Documents sampled with `$sample` (1-10,000, default 1,000).
    sample_size: Option<u32>,
    /// Only documents matching this filter are sampled (Extended JSON).
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    filter: Option<Value>,
    /// Time limit of the sampling in milliseconds (at most 10,000, the default).
    max_time_ms: Option<u64>,
}

/// Analyse a sample of a collection: every field path with its types, presence and values.
pub async fn analyse_schema(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
    ApiJson(body): ApiJson<SchemaBody>,
) -> ApiResult<Data<schema::Schema>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    let sample_size = body.sample_size.unwrap_or(schema::DEFAULT_SAMPLE_SIZE);
    if !(1..=schema::MAX_SAMPLE_SIZE).contains(&sample_size) {
        return Err(ApiError::validation(format!("sample_size must be between 1 and {}", schema::MAX_SAMPLE_SIZE)));
    }
    let max_time = max_time(body.max_time_ms, schema::DEFAULT_TIME)?;
    let filter = body.filter.map(|f| document("filter", f)).transpose()?;
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    let analysed = schema::analyse(&mongo.client, &database, &collection, filter, sample_size, max_time).await;
    Ok(Data(mongo.scrubbed(&app, analysed)?))
}

/// Usage of each index of a collection (`$indexStats`), the least used first.
pub async fn index_stats(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, database, collection)): ApiPath<(String, String, String)>,
    ApiQuery(target): ApiQuery<Target>,
) -> ApiResult<Data<Vec<ops::IndexStat>>> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Read).await?;
    admin::check_database_name(&database)?;
    admin::check_collection_name(&collection)?;
    let mongo = Mongo::within(&app, &ctx, target.connection_id).await?;
    Ok(Data(mongo.scrubbed(&app, ops::index_stats(&mongo.client, &database, &collection).await)?))
}
