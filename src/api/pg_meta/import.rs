//! Imports into PostgreSQL: `POST …/pg-meta/{ref}/tables/{id}/import` (a CSV or NDJSON body
//! streamed into `COPY … FROM STDIN`, developers and above), `POST …/pg-meta/{ref}/import/preview`
//! (the inferred columns and first 20 rows of a body) and `POST …/pg-meta/{ref}/import` (creates a
//! table from a body's columns and imports it in the same transaction, admins only since it is
//! DDL). The body is read as it is imported (`api::upload`); `engines::postgres::import` does
//! the batching and error placement.

use std::collections::HashSet;
use std::pin::Pin;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use super::{engine_error, postgres};
use crate::api::upload::{CsvOptions, CsvRecords, Lines, Upload, UploadFormat};
use crate::api::{ApiPath, ApiQuery, Data};
use crate::app::AppState;
use crate::auth::{authorize, AuthUser};
use crate::domain::{ConnectionId, Permission};
use crate::engines::postgres::checks::Checker;
use crate::engines::postgres::ddl::{Ident, QualifiedName};
use crate::engines::postgres::import::{self, BadRow, ImportError, ImportPlan, ImportReport, ImportRow, SourceItem};
use crate::engines::postgres::rows::{self, Relation};
use crate::engines::EngineError;
use crate::error::{ApiError, ApiResult};
use crate::middleware::audit::AuditNote;

/// Records a preview reads (after the header).
pub const PREVIEW_ROWS: usize = 20;

/// What to do with a bad row.
#[derive(Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Stop at the first bad row; nothing is committed (default).
    #[default]
    Stop,
    /// Commit the good rows; report the first 100 bad ones.
    Skip,
}

/// Query string of `POST …/tables/{id}/import`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// The PostgreSQL connection (default: the project's primary one).
    pub connection_id: Option<ConnectionId>,
    /// CSV: the first record names the columns (default true).
    pub header: Option<bool>,
    /// CSV: the field separator, one ASCII character (default `,`).
    pub delimiter: Option<String>,
    /// CSV: the quote character, one ASCII character (default `"`).
    pub quote: Option<String>,
    /// CSV: the unquoted field text that means NULL (default: an unquoted empty field is NULL; a
    /// quoted field is always text).
    pub null: Option<String>,
    /// The table columns the file's columns go to, in order, comma-separated (CSV), or the only
    /// keys a line may have (NDJSON). Default: the CSV header's names; without a header, every
    /// column but generated ones; for NDJSON, the first line's keys.
    pub columns: Option<String>,
    /// `stop` (default): the first bad row stops the import and nothing is committed; `skip`: the
    /// good rows are committed and the first 100 bad ones reported.
    #[serde(default)]
    pub on_error: OnError,
}

/// Query string of `POST …/import/preview`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    /// The PostgreSQL connection (default: the project's primary one).
    pub connection_id: Option<ConnectionId>,
    /// CSV: the first record names the columns (default true).
    pub header: Option<bool>,
    /// CSV: the field separator, one ASCII character (default `,`).
    pub delimiter: Option<String>,
    /// CSV: the quote character, one ASCII character (default `"`).
    pub quote: Option<String>,
    /// CSV: the unquoted field text that means NULL (default: an unquoted empty field is NULL; a
    /// quoted field is always text).
    pub null: Option<String>,
}

/// Query string of `POST …/import` (create a table and import into it).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateParams {
    /// The PostgreSQL connection (default: the project's primary one).
    pub connection_id: Option<ConnectionId>,
    /// The new table's schema (default `public`).
    pub schema: Option<String>,
    /// The new table's name (required; optional in the query string's type only so that a body of
    /// the wrong type is a 415 first).
    pub table: Option<String>,
    /// The new columns' types in order, comma-separated (default: inferred from the first 20
    /// rows as the preview shows them). Each is resolved by the server.
    pub types: Option<String>,
    /// The new columns' names in order, comma-separated (default: the CSV header, or the keys of
    /// the first 20 NDJSON lines).
    pub columns: Option<String>,
    /// CSV: the first record names the columns (default true).
    pub header: Option<bool>,
    /// CSV: the field separator, one ASCII character (default `,`).
    pub delimiter: Option<String>,
    /// CSV: the quote character, one ASCII character (default `"`).
    pub quote: Option<String>,
    /// CSV: the unquoted field text that means NULL (default: an unquoted empty field is NULL; a
    /// quoted field is always text).
    pub null: Option<String>,
    /// `stop` (default) or `skip`, as for a table's import.
    #[serde(default)]
    pub on_error: OnError,
}

/// A column the preview inferred.
#[derive(Debug, Serialize, JsonSchema, PartialEq, Eq)]
pub struct InferredColumn {
    /// Its name (the CSV header's, the NDJSON key, or `column_N` without a header).
    pub name: String,
    /// `bigint`, `numeric`, `boolean`, `date`, `timestamptz`, `jsonb` or `text`.
    #[serde(rename = "type")]
    pub type_name: &'static str,
}

/// The answer of a preview.
#[derive(Serialize, JsonSchema)]
pub struct Preview {
    /// The columns with their inferred types.
    pub columns: Vec<InferredColumn>,
    /// The first 20 rows, values in column order (null for NULL).
    pub rows: Vec<Vec<Option<String>>>,
}

/// The answer of creating a table from a file.
#[derive(Serialize, JsonSchema)]
pub struct CreatedImport {
    /// The new table's oid (its `{id}` in the table routes).
    pub table_id: i64,
    /// The columns it was created with.
    pub columns: Vec<CreatedColumn>,
    /// Rows imported.
    pub rows: u64,
    /// Rows skipped as bad (only with `on_error=skip`).
    pub skipped: u64,
    /// The first 100 bad rows.
    pub errors: Vec<BadRow>,
}

/// A column of a table created from a file.
#[derive(Serialize, JsonSchema)]
pub struct CreatedColumn {
    /// Its name.
    pub name: String,
    /// Its type as the server spells it.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// How CSV fields are read.
struct CsvSettings {
    options: CsvOptions,
    header: bool,
    null: Option<String>,
}

fn one_byte(value: Option<&str>, default: u8, what: &str) -> ApiResult<u8> {
    match value {
        None => Ok(default),
        Some(text) if text.len() == 1 && text.is_ascii() && !matches!(text, "\n" | "\r") => Ok(text.as_bytes()[0]),
        Some(_) => Err(ApiError::validation(format!("{what} must be one ASCII character (not a line break)"))),
    }
}

impl CsvSettings {
    fn new(
        header: Option<bool>,
        delimiter: Option<&str>,
        quote: Option<&str>,
        null: Option<String>,
    ) -> ApiResult<Self> {
        let options =
            CsvOptions { delimiter: one_byte(delimiter, b',', "delimiter")?, quote: one_byte(quote, b'"', "quote")? };
        if options.delimiter == options.quote {
            return Err(ApiError::validation("delimiter and quote must differ"));
        }
        Ok(Self { options, header: header.unwrap_or(true), null })
    }

    /// A field's value: NULL when unquoted and empty (or the `null` marker), as PostgreSQL's
    /// CSV reads it; a quoted field is always text.
    fn value(&self, field: String, quoted: bool) -> Option<String> {
        let is_null = !quoted
            && match &self.null {
                Some(marker) => field == *marker,
                None => field.is_empty(),
            };
        (!is_null).then_some(field)
    }
}

/// A unit of the body: CSV fields, or one JSON line's text.
enum Body {
    /// The fields and whether each was quoted.
    Fields(Vec<String>, Vec<bool>),
    Json(axum::body::Bytes),
}

/// One record or line with the line it starts on.
struct Unit {
    line: u64,
    body: Body,
}

/// The body, read a record or a line at a time.
enum Reader {
    Csv(Box<CsvRecords>),
    Json(Lines),
}

impl Reader {
    fn new(upload: Upload, csv: &CsvSettings) -> ApiResult<Self> {
        match upload.format {
            UploadFormat::Csv => Ok(Self::Csv(Box::new(upload.csv(csv.options)))),
            UploadFormat::Ndjson => Ok(Self::Json(upload.lines())),
            UploadFormat::JsonArray => {
                Err(ApiError::UnsupportedMediaType("a PostgreSQL import reads text/csv or application/x-ndjson".into()))
            }
        }
    }

    async fn next(&mut self) -> ApiResult<Option<Unit>> {
        Ok(match self {
            Self::Csv(records) => {
                records.next().await?.map(|r| Unit { line: r.line, body: Body::Fields(r.fields, r.quoted) })
            }
            Self::Json(lines) => lines.next().await?.map(|l| Unit { line: l.number, body: Body::Json(l.text) }),
        })
    }
}

/// A JSON line as an object of raw values (numbers and documents keep their exact text).
fn json_object(text: &[u8]) -> Result<Vec<(String, &RawValue)>, String> {
    let map: std::collections::BTreeMap<String, &RawValue> =
        serde_json::from_slice(text).map_err(|e| format!("not a JSON object: {e}"))?;
    Ok(map.into_iter().collect())
}

/// A JSON value as the text COPY reads: strings unquoted, null as NULL, numbers, booleans and
/// documents (for json/jsonb columns) as their JSON text.
fn json_text(raw: &RawValue) -> Result<Option<String>, String> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(text).map(Some).map_err(|e| e.to_string()),
        Some(b'n') => Ok(None),
        _ => Ok(Some(text.to_string())),
    }
}

/// A JSON array as a PostgreSQL array literal (`{1,"a b",NULL,{2,3}}`), for an array column;
/// numbers keep their exact text, documents inside go as quoted JSON text.
fn array_literal(raw: &RawValue) -> Result<String, String> {
    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let text = item.get();
        let quoted = match text.as_bytes().first() {
            Some(b'[') => {
                out.push_str(&array_literal(item)?);
                continue;
            }
            Some(b'n') => {
                out.push_str("NULL");
                continue;
            }
            Some(b'"') => serde_json::from_str::<String>(text).map_err(|e| e.to_string())?,
            _ => text.to_string(),
        };
        out.push('"');
        for c in quoted.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    Ok(out)
}

/// The row a unit holds for `columns` (`arrays` says which are array columns), or why it cannot
/// be imported.
fn to_item(unit: Unit, columns: &[String], arrays: &[bool], csv: &CsvSettings) -> SourceItem {
    let line = unit.line;
    let bad = |column: Option<String>, message: String| SourceItem::Bad(BadRow { line, column, message });
    match unit.body {
        Body::Fields(fields, quoted) => {
            if fields.len() != columns.len() {
                return bad(None, format!("expected {} fields, found {}", columns.len(), fields.len()));
            }
            SourceItem::Row(ImportRow {
                line,
                values: fields.into_iter().zip(quoted).map(|(f, q)| csv.value(f, q)).collect(),
            })
        }
        Body::Json(text) => {
            let object = match json_object(&text) {
                Ok(object) => object,
                Err(message) => return bad(None, message),
            };
            let mut values = vec![None; columns.len()];
            for (key, raw) in object {
                let Some(index) = columns.iter().position(|c| *c == key) else {
                    return bad(Some(key), "not a column of this import".into());
                };
                let value = match raw.get().starts_with('[') && arrays.get(index) == Some(&true) {
                    true => array_literal(raw).map(Some),
                    false => json_text(raw),
                };
                match value {
                    Ok(value) => values[index] = value,
                    Err(message) => return bad(Some(key), message),
                }
            }
            SourceItem::Row(ImportRow { line, values })
        }
    }
}

type Source = Pin<Box<dyn Stream<Item = Result<SourceItem, ApiError>> + Send>>;

/// The rows: the units already read, then the rest of the body.
fn source(buffered: Vec<Unit>, reader: Reader, columns: Vec<String>, arrays: Vec<bool>, csv: CsvSettings) -> Source {
    let state = (buffered.into_iter(), reader, (columns, arrays), csv);
    Box::pin(futures_util::stream::unfold(state, |(mut buffered, mut reader, columns, csv)| async move {
        let unit = match buffered.next() {
            Some(unit) => Ok(Some(unit)),
            None => reader.next().await,
        };
        let item = match unit {
            Ok(None) => return None,
            Ok(Some(unit)) => Ok(to_item(unit, &columns.0, &columns.1, &csv)),
            Err(e) => Err(e),
        };
        Some((item, (buffered, reader, columns, csv)))
    }))
}

/// The start of a body: the column names it gives (a CSV header, the keys of the first JSON
/// lines) and up to `sample` units read after it.
async fn head(reader: &mut Reader, csv: &CsvSettings, sample: usize) -> ApiResult<(Option<Vec<String>>, Vec<Unit>)> {
    let mut names = None;
    if let (Reader::Csv(_), true) = (&*reader, csv.header) {
        match reader.next().await? {
            Some(Unit { body: Body::Fields(mut fields, _), .. }) => {
                // A spreadsheet's UTF-8 byte order mark is not part of the first name.
                if let Some(first) = fields.first_mut() {
                    if let Some(rest) = first.strip_prefix('\u{feff}') {
                        *first = rest.to_string();
                    }
                }
                names = Some(fields)
            }
            _ => return Err(ApiError::validation("the CSV is empty: it has no header line")),
        }
    }
    let mut units = Vec::new();
    while units.len() < sample.max(usize::from(matches!(reader, Reader::Json(_)))) {
        match reader.next().await? {
            Some(unit) => units.push(unit),
            None => break,
        }
    }
    if let Reader::Json(_) = reader {
        // The keys of the sampled lines, in the order they first appear.
        let mut keys: Vec<String> = Vec::new();
        for unit in &units {
            if let Body::Json(text) = &unit.body {
                if let Ok(object) = json_object(text) {
                    for (key, _) in object {
                        if !keys.contains(&key) {
                            keys.push(key);
                        }
                    }
                }
            }
        }
        names = (!keys.is_empty()).then_some(keys);
    }
    Ok((names, units))
}

fn split_names(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_string()).collect()
}

/// Checks that `names` are distinct, importable columns of `relation`: an unknown one is a 400
/// before anything is written.
fn check_columns(relation: &Relation, names: &[String]) -> ApiResult<()> {
    if names.is_empty() {
        return Err(ApiError::validation("the import names no columns"));
    }
    let mut seen = HashSet::new();
    for name in names {
        let Some(column) = relation.columns.iter().find(|c| c.name == *name) else {
            return Err(ApiError::Validation {
                message: format!(
                    "unknown column {} in {}",
                    crate::engines::postgres::ddl::quote_ident(name),
                    relation.name
                ),
                details: Some(json!({ "column": name })),
            });
        };
        if column.generated {
            return Err(ApiError::validation(format!("column {name:?} is generated: its value cannot be imported")));
        }
        if !seen.insert(name.as_str()) {
            return Err(ApiError::validation(format!("column {name:?} is named twice")));
        }
    }
    Ok(())
}

/// The answer of a failed import.
fn import_error(app: &AppState, record: &crate::store::ConnectionRecord, err: ImportError<ApiError>) -> ApiError {
    match err {
        ImportError::Source(e) => e,
        ImportError::BadRow(bad) => ApiError::Validation {
            message: match &bad.column {
                Some(c) => format!("line {}, column {c:?}: {}; nothing was imported", bad.line, bad.message),
                None => format!("line {}: {}; nothing was imported", bad.line, bad.message),
            },
            details: Some(json!({ "line": bad.line, "column": bad.column })),
        },
        ImportError::Engine(e) => engine_error(app, record, e),
    }
}

fn audit_details(note: &AuditNote, format: UploadFormat, on_error: OnError, report: Option<&ImportReport>) {
    let format = if format == UploadFormat::Csv { "csv" } else { "ndjson" };
    let on_error = if on_error == OnError::Skip { "skip" } else { "stop" };
    let (rows, skipped) = report.map_or((0, 0), |r| (r.rows, r.skipped));
    note.details(json!({ "format": format, "on_error": on_error, "rows": rows, "skipped": skipped }));
}

/// `POST /api/platform/pg-meta/{ref}/tables/{id}/import`: streams a CSV or NDJSON body into the
/// table with `COPY`, in one transaction.
pub async fn import_rows(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath((project_ref, id)): ApiPath<(String, i64)>,
    ApiQuery(params): ApiQuery<ImportParams>,
    note: AuditNote,
    upload: Upload,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Write).await?;
    let format = upload.format;
    let csv = CsvSettings::new(params.header, params.delimiter.as_deref(), params.quote.as_deref(), params.null)?;
    let mut reader = Reader::new(upload, &csv)?;
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let _slot = app.sql_slots.take(user.id, record.id)?;
    let relation = async {
        let mut session = client.session().await?;
        let relation = rows::describe(&session, id).await?;
        session.unchanged();
        Ok::<_, EngineError>(relation)
    }
    .await
    .map_err(|e| engine_error(&app, &record, e))?;
    note.target(relation.name.to_string());
    audit_details(&note, format, params.on_error, None);
    if !relation.is_table {
        return Err(ApiError::validation(format!("{} is not a table: rows cannot be imported into it", relation.name)));
    }
    let (found, buffered) = head(&mut reader, &csv, 0).await?;
    let columns = match (params.columns.as_deref(), found) {
        (Some(given), _) => split_names(given),
        (None, Some(names)) => names,
        (None, None) if matches!(reader, Reader::Csv(_)) => {
            relation.columns.iter().filter(|c| !c.generated).map(|c| c.name.clone()).collect()
        }
        (None, None) if buffered.is_empty() => Vec::new(),
        (None, None) => {
            return Err(ApiError::validation(format!(
                "line {}: the first line must be a JSON object (its keys name the columns), or name them with columns=",
                buffered.first().map_or(1, |u| u.line)
            )))
        }
    };
    if buffered.is_empty() && columns.is_empty() {
        let report = ImportReport::default();
        audit_details(&note, format, params.on_error, Some(&report));
        return Ok(Data(report).into_response());
    }
    check_columns(&relation, &columns)?;
    let plan = ImportPlan {
        table: relation.name.clone(),
        columns: columns.clone(),
        skip_bad: params.on_error == OnError::Skip,
        before: Vec::new(),
    };
    // Typed arrays (`_int4`, …) take a JSON array as an array literal.
    let arrays =
        columns.iter().map(|n| relation.columns.iter().any(|c| c.name == *n && c.format.starts_with('_'))).collect();
    let rows = source(buffered, reader, columns, arrays, csv);
    let report = import::run(&client, &plan, rows).await.map_err(|e| import_error(&app, &record, e))?;
    audit_details(&note, format, params.on_error, Some(&report));
    Ok(Data(report).into_response())
}

/// The values of a unit in column order, for a preview (a JSON line by `names`).
fn preview_values(unit: &Unit, names: &[String], csv: &CsvSettings) -> Vec<Option<String>> {
    match &unit.body {
        Body::Fields(fields, quoted) => fields.iter().zip(quoted).map(|(f, q)| csv.value(f.clone(), *q)).collect(),
        Body::Json(text) => {
            let object = json_object(text).unwrap_or_default();
            names
                .iter()
                .map(|n| object.iter().find(|(k, _)| k == n).and_then(|(_, raw)| json_text(raw).ok().flatten()))
                .collect()
        }
    }
}

/// Reads a body's start: column names and sample rows (values in column order).
async fn sample(
    upload: Upload,
    csv: &CsvSettings,
    given: Option<&str>,
) -> ApiResult<(Vec<String>, Vec<Vec<Option<String>>>, Reader, Vec<Unit>)> {
    let mut reader = Reader::new(upload, csv)?;
    let (found, units) = head(&mut reader, csv, PREVIEW_ROWS).await?;
    let width = units
        .iter()
        .map(|u| match &u.body {
            Body::Fields(f, _) => f.len(),
            Body::Json(_) => 0,
        })
        .max()
        .unwrap_or(0);
    let names = match (given, found) {
        (Some(given), _) => split_names(given),
        (None, Some(names)) => names,
        (None, None) => (1..=width).map(|i| format!("column_{i}")).collect(),
    };
    let rows = units.iter().map(|u| preview_values(u, &names, csv)).collect();
    Ok((names, rows, reader, units))
}

/// `POST /api/platform/pg-meta/{ref}/import/preview`: the columns a body's first 20 rows suggest
/// and those rows. Reads only that much of the body.
pub async fn preview(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<PreviewParams>,
    upload: Upload,
) -> ApiResult<Response> {
    authorize(&app, &user, &project_ref, Permission::Write).await?;
    let csv = CsvSettings::new(params.header, params.delimiter.as_deref(), params.quote.as_deref(), params.null)?;
    let (names, rows, _, _) = sample(upload, &csv, None).await?;
    let columns = infer(&names, &rows);
    Ok(Data(Preview { columns, rows }).into_response())
}

/// The inferred type of each column from the sampled rows.
fn infer(names: &[String], rows: &[Vec<Option<String>>]) -> Vec<InferredColumn> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values = rows.iter().filter_map(|r| r.get(i).cloned().flatten());
            InferredColumn { name: name.clone(), type_name: infer_type(values) }
        })
        .collect()
}

/// The narrowest of the simple types every value reads as; `text` when none fits or there is none.
pub fn infer_type(values: impl Iterator<Item = String>) -> &'static str {
    type Test = fn(&str) -> bool;
    const CANDIDATES: [(&str, Test); 6] = [
        ("bigint", is_bigint),
        ("numeric", is_numeric),
        ("boolean", is_boolean),
        ("date", is_date),
        ("timestamptz", is_timestamp),
        ("jsonb", is_json_document),
    ];
    let mut fits = [true; 6];
    let mut any = false;
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        any = true;
        for (fit, (_, test)) in fits.iter_mut().zip(CANDIDATES.iter()) {
            *fit = *fit && test(value);
        }
    }
    match fits.iter().position(|&f| f) {
        Some(i) if any => CANDIDATES[i].0,
        _ => "text",
    }
}

fn is_bigint(v: &str) -> bool {
    v.parse::<i64>().is_ok() && !v.starts_with('+')
}

fn digits(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

fn is_numeric(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    let (mantissa, exponent) = match v.find(['e', 'E']) {
        Some(at) => (&v[..at], Some(&v[at + 1..])),
        None => (v, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => (digits(a) || a.is_empty()) && (digits(b) || b.is_empty()) && !(a.is_empty() && b.is_empty()),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

fn is_boolean(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "t" | "f")
}

fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(&v[..4])
        && digits(&v[5..7])
        && digits(&v[8..])
        && time::Date::parse(v, &time::format_description::well_known::Iso8601::DATE).is_ok()
}

fn is_timestamp(v: &str) -> bool {
    if v.len() < 16 || !v.is_char_boundary(10) || !is_date(&v[..10]) {
        return false;
    }
    let rest = &v[10..];
    let Some(rest) = rest.strip_prefix(['T', ' ']) else { return false };
    // hh:mm[:ss[.frac]] then an optional zone (Z, ±hh, ±hh:mm, ±hhmm).
    let b = rest.as_bytes();
    if b.len() < 5 || !digits(&rest[..2]) || b[2] != b':' || !digits(&rest[3..5]) {
        return false;
    }
    let mut rest = &rest[5..];
    if let Some(seconds) = rest.strip_prefix(':') {
        if seconds.len() < 2 || !digits(&seconds[..2]) {
            return false;
        }
        rest = &seconds[2..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return false;
            }
            rest = &fraction[n..];
        }
    }
    let rest = rest.trim_start();
    rest.is_empty()
        || rest == "Z"
        || rest
            .strip_prefix(['+', '-'])
            .is_some_and(|z| matches!(z.len(), 2 | 4 | 5) && z.bytes().all(|b| b.is_ascii_digit() || b == b':'))
}

fn is_json_document(v: &str) -> bool {
    (v.starts_with('{') || v.starts_with('[')) && serde_json::from_str::<serde::de::IgnoredAny>(v).is_ok()
}

/// `POST /api/platform/pg-meta/{ref}/import`: creates `schema.table` with the body's columns (the
/// inferred or given types) and imports the body into it, in one transaction.
pub async fn create_and_import(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(project_ref): ApiPath<String>,
    ApiQuery(params): ApiQuery<CreateParams>,
    note: AuditNote,
    upload: Upload,
) -> ApiResult<Response> {
    let ctx = authorize(&app, &user, &project_ref, Permission::Admin).await?;
    let format = upload.format;
    let csv = CsvSettings::new(params.header, params.delimiter.as_deref(), params.quote.as_deref(), params.null)?;
    let schema = params.schema.as_deref().unwrap_or("public");
    let Some(name) = params.table.as_deref() else {
        return Err(ApiError::validation("table names the table to create (table=…)"));
    };
    let table = QualifiedName::new(schema, name, "table").map_err(validation)?;
    note.target(table.to_string());
    audit_details(&note, format, params.on_error, None);
    let (record, client) = postgres(&app, &ctx, params.connection_id).await?;
    let _slot = app.sql_slots.take(user.id, record.id)?;
    let (names, rows, reader, units) = sample(upload, &csv, params.columns.as_deref()).await?;
    if names.is_empty() {
        return Err(ApiError::validation("the body names no columns: nothing to create"));
    }
    let mut idents = Vec::with_capacity(names.len());
    let mut seen = HashSet::new();
    for (i, name) in names.iter().enumerate() {
        idents.push(Ident::new(name, &format!("column {}", i + 1)).map_err(validation)?);
        if !seen.insert(name.as_str()) {
            return Err(ApiError::validation(format!("column {name:?} is named twice")));
        }
    }
    let wanted: Vec<String> = match params.types.as_deref() {
        Some(given) => split_names(given),
        None => infer(&names, &rows).into_iter().map(|c| c.type_name.to_string()).collect(),
    };
    if wanted.len() != names.len() {
        return Err(ApiError::validation(format!("types names {} types for {} columns", wanted.len(), names.len())));
    }
    let checker = Checker::new(&client).await.map_err(|e| engine_error(&app, &record, e))?;
    let mut types = Vec::with_capacity(wanted.len());
    for (i, text) in wanted.iter().enumerate() {
        let what = format!("types[{}] ({:?})", i + 1, names[i]);
        types.push(checker.resolve_type(text, &what).await.map_err(|e| engine_error(&app, &record, e))?);
    }
    checker.finish();
    let definitions: Vec<String> = idents.iter().zip(&types).map(|(n, t)| format!("{n} {t}")).collect();
    let plan = ImportPlan {
        table: table.clone(),
        columns: names.clone(),
        skip_bad: params.on_error == OnError::Skip,
        before: vec![format!("CREATE TABLE {table} ({})", definitions.join(", "))],
    };
    let arrays = types.iter().map(|t| t.as_str().ends_with("[]")).collect();
    let source = source(units, reader, names.clone(), arrays, csv);
    let report = import::run(&client, &plan, source).await.map_err(|e| import_error(&app, &record, e))?;
    audit_details(&note, format, params.on_error, Some(&report));
    let table_id = async {
        let mut session = client.session().await?;
        let row = session
            .query_one("SELECT to_regclass($1)::oid::int8", &[&table.to_string()])
            .await
            .map_err(crate::engines::postgres::map_error)?;
        session.unchanged();
        Ok::<Option<i64>, EngineError>(row.get(0))
    }
    .await
    .map_err(|e| engine_error(&app, &record, e))?
    .unwrap_or_default();
    let columns = names
        .into_iter()
        .zip(types)
        .map(|(name, t)| CreatedColumn { name, type_name: t.as_str().to_string() })
        .collect();
    let answer = CreatedImport { table_id, columns, rows: report.rows, skipped: report.skipped, errors: report.errors };
    Ok((StatusCode::CREATED, Data(answer)).into_response())
}

fn validation(e: EngineError) -> ApiError {
    ApiError::validation(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[&str]) -> &'static str {
        infer_type(values.iter().map(|v| v.to_string()))
    }

    #[test]
    fn types_are_inferred_narrowest_first() {
        assert_eq!(of(&["1", "-2", "9223372036854775807"]), "bigint");
        assert_eq!(of(&["1", "2.5", "1e3", ".5"]), "numeric");
        assert_eq!(of(&["9223372036854775808"]), "numeric");
        assert_eq!(of(&["true", "F"]), "boolean");
        assert_eq!(of(&["2024-02-29", "2023-01-01"]), "date");
        assert_eq!(of(&["2023-02-29"]), "text");
        assert_eq!(of(&["2024-01-01 10:00", "2024-01-01T10:00:00.5Z", "2024-01-01 10:00:00+02:00"]), "timestamptz");
        assert_eq!(of(&["{\"a\": 1}", "[1, 2]"]), "jsonb");
        assert_eq!(of(&["{not json"]), "text");
        assert_eq!(of(&["1", "x"]), "text");
        assert_eq!(of(&[]), "text");
        assert_eq!(of(&["NaN"]), "text");
    }

    #[test]
    fn json_arrays_become_array_literals() {
        let raw: &RawValue = serde_json::from_str(r#"[1, 2.50, null, "a \"b\"\\", [true], {"k": 1}]"#).unwrap();
        assert_eq!(array_literal(raw).unwrap(), r#"{"1","2.50",NULL,"a \"b\"\\",{"true"},"{\"k\": 1}"}"#);
    }

    #[test]
    fn json_values_keep_their_text() {
        let object =
            json_object(br#"{"n": 12345678901234567890.123456789, "s": "a\"b", "z": null, "d": {"k": [1]}}"#).unwrap();
        let texts: Vec<(String, Option<String>)> =
            object.into_iter().map(|(k, v)| (k, json_text(v).unwrap())).collect();
        assert_eq!(
            texts,
            vec![
                ("d".into(), Some("{\"k\": [1]}".into())),
                ("n".into(), Some("12345678901234567890.123456789".into())),
                ("s".into(), Some("a\"b".into())),
                ("z".into(), None),
            ]
        );
    }
}
