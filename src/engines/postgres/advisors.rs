//! What Supabase's advisors and `supabase inspect db` report, in one read of the catalog and the
//! statistics views: table and index sizes, cache hit ratios, transaction id age, and findings
//! (tables without a primary key, unused and duplicate indexes, sequential-scan-heavy tables,
//! RLS without policies, long-running and idle-in-transaction sessions, wraparound), each with a
//! severity and, where one exists, the SQL that fixes it. Names in that SQL are quoted by the
//! server (`format('%I.%I')`), never by us.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{query, read_catalog};
use super::PostgresClient;
use crate::engines::EngineError;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Act now: the server is at risk.
    Error,
    /// Likely a problem.
    Warning,
    /// Worth a look.
    Info,
}

/// One thing an advisor noticed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Finding {
    /// Which check found it (`no_primary_key`, `unused_index`, `duplicate_index`,
    /// `seq_scan_heavy`, `rls_enabled_no_policy`, `long_running_query`, `idle_in_transaction`,
    /// `transaction_id_wraparound`, `cache_hit_ratio`).
    pub check: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// The table, index, session (`pid 123`) or database it is about.
    pub object: Option<String>,
    /// What was found and why it matters.
    pub message: String,
    /// SQL that fixes it, when there is one (review before running).
    pub fix_sql: Option<String>,
}

/// A table's size and how it is read.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableSize {
    /// Schema.
    pub schema: String,
    /// Table.
    pub name: String,
    /// Bytes with indexes and TOAST.
    pub total_bytes: i64,
    /// Bytes of the table itself.
    pub table_bytes: i64,
    /// Bytes of its indexes.
    pub index_bytes: i64,
    /// The planner's row estimate.
    pub rows_estimate: i64,
    /// Sequential scans since statistics were reset.
    pub seq_scan: i64,
    /// Index scans since statistics were reset.
    pub idx_scan: i64,
}

/// An index's size and use.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IndexSize {
    /// Schema.
    pub schema: String,
    /// Its table.
    pub table: String,
    /// Index.
    pub name: String,
    /// Bytes.
    pub bytes: i64,
    /// Scans since statistics were reset.
    pub scans: i64,
    /// Its definition (`CREATE INDEX …`).
    pub definition: String,
}

/// Share of block reads served from shared buffers, over user tables.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CacheHitRatio {
    /// For table blocks (0-1), when any were read.
    pub table: Option<f64>,
    /// For index blocks (0-1), when any were read.
    pub index: Option<f64>,
}

/// How far a database's oldest unfrozen transaction id is from wraparound.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DatabaseAge {
    /// Database.
    pub database: String,
    /// `age(datfrozenxid)`.
    pub transaction_id_age: i64,
    /// That age as a share of the 2^31 ids after which the server stops accepting writes (0-1).
    pub wraparound_ratio: f64,
}

/// Everything the advisors report.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Advice {
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// The largest user tables (at most 100), largest first.
    pub tables: Vec<TableSize>,
    /// The largest user indexes (at most 100), largest first.
    pub indexes: Vec<IndexSize>,
    /// Buffer cache hit ratios.
    pub cache_hit_ratio: CacheHitRatio,
    /// Transaction id age of every database that accepts connections.
    pub databases: Vec<DatabaseAge>,
}

/// Rows a table needs before its sequential scans are worth a finding.
const SEQ_SCAN_MIN_ROWS: i64 = 10_000;
/// Sequential scans a table needs before they are worth a finding.
const SEQ_SCAN_MIN_SCANS: i64 = 50;
/// Blocks read before a cache hit ratio means anything.
const CACHE_MIN_BLOCKS: f64 = 10_000.0;
/// Below this, a cache hit ratio is a finding.
const CACHE_GOOD_RATIO: f64 = 0.99;
/// A statement running longer than this is a finding.
const LONG_QUERY_SECS: f64 = 300.0;
/// A transaction left idle longer than this is a finding.
const IDLE_IN_TRANSACTION_SECS: f64 = 60.0;
/// Transaction ids after which PostgreSQL refuses writes to avoid wraparound.
const WRAPAROUND_LIMIT: f64 = 2_147_483_648.0;
/// Above this share of the limit, wraparound is an error rather than a warning.
const WRAPAROUND_ERROR_RATIO: f64 = 0.5;
/// Rows of sizes listed.
const LISTED: usize = 100;

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// Runs every advisor against the connection's database (sessions and transaction id ages are
/// server-wide).
pub async fn advise(client: &PostgresClient) -> Result<Advice, EngineError> {
    let tables_sql = format!(
        "SELECT n.nspname::text, c.relname::text, pg_total_relation_size(c.oid), pg_relation_size(c.oid), \
                pg_indexes_size(c.oid), greatest(c.reltuples, 0)::int8, coalesce(s.seq_scan, 0), \
                coalesce(s.idx_scan, 0), coalesce(s.n_live_tup, 0), \
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), \
                EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped), \
                c.relrowsecurity, EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid), \
                format('%I.%I', n.nspname, c.relname) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER_SCHEMAS} \
         ORDER BY 3 DESC, 1, 2"
    );
    let indexes_sql = format!(
        "SELECT n.nspname::text, t.relname::text, ic.relname::text, pg_relation_size(ic.oid), \
                coalesce(s.idx_scan, 0), s.indexrelid IS NOT NULL, \
                i.indisunique OR i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid), \
                format('%I.%I', n.nspname, ic.relname), pg_get_indexdef(i.indexrelid), \
                concat_ws(' ', i.indrelid::text, ic.relam::text, i.indkey::text, i.indclass::text, \
                          i.indcollation::text, i.indoption::text, pg_get_expr(i.indexprs, i.indrelid), \
                          pg_get_expr(i.indpred, i.indrelid)) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid \
         WHERE t.relkind IN ('r', 'm') AND {USER_SCHEMAS} \
         ORDER BY 4 DESC, 1, 3"
    );
    let cache_sql = "SELECT sum(heap_blks_hit)::float8, sum(heap_blks_read)::float8, \
                            sum(idx_blks_hit)::float8, sum(idx_blks_read)::float8 FROM pg_statio_user_tables";
    let sessions_sql = "SELECT pid, state, usename::text, datname::text, \
                extract(epoch FROM clock_timestamp() - CASE WHEN state = 'active' THEN query_start ELSE state_change END)::float8 \
         FROM pg_stat_activity \
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() \
           AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')";
    let ages_sql = "SELECT datname::text, age(datfrozenxid)::int8, current_setting('autovacuum_freeze_max_age')::int8 \
                    FROM pg_database WHERE datallowconn ORDER BY 2 DESC";
    let (tables, indexes, cache, sessions, ages) = read_catalog(client, async |s| {
        Ok((
            query(s, &tables_sql, &[]).await?,
            query(s, &indexes_sql, &[]).await?,
            query(s, cache_sql, &[]).await?,
            query(s, sessions_sql, &[]).await?,
            query(s, ages_sql, &[]).await?,
        ))
    })
    .await?;

    let mut findings = Vec::new();
    let mut table_sizes = Vec::new();
    for r in &tables {
        let (rows, seq_scan, idx_scan, live): (i64, i64, i64, i64) = (r.get(5), r.get(6), r.get(7), r.get(8));
        let (has_pk, has_id, rls, has_policy): (bool, bool, bool, bool) = (r.get(9), r.get(10), r.get(11), r.get(12));
        let qualified: String = r.get(13);
        if !has_pk {
            findings.push(Finding {
                check: "no_primary_key",
                severity: Severity::Warning,
                object: Some(qualified.clone()),
                message: format!(
                    "{qualified} has no primary key: rows cannot be told apart reliably, so editors \
                     cannot update or delete one row and logical replication cannot replicate updates"
                ),
                fix_sql: (!has_id).then(|| {
                    format!("ALTER TABLE {qualified} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;")
                }),
            });
        }
        if rls && !has_policy {
            findings.push(Finding {
                check: "rls_enabled_no_policy",
                severity: Severity::Info,
                object: Some(qualified.clone()),
                message: format!(
                    "{qualified} has row level security enabled but no policy: every role but its owner \
                     and superusers sees no rows; add a policy or disable row level security"
                ),
                fix_sql: None,
            });
        }
        if live.max(rows) >= SEQ_SCAN_MIN_ROWS && seq_scan >= SEQ_SCAN_MIN_SCANS && seq_scan > idx_scan {
            findings.push(Finding {
                check: "seq_scan_heavy",
                severity: Severity::Info,
                object: Some(qualified.clone()),
                message: format!(
                    "{qualified} ({} rows) was read by {seq_scan} sequential scans and {idx_scan} index scans: \
                     an index on the columns its queries filter by may help (query stats show which)",
                    live.max(rows)
                ),
                fix_sql: None,
            });
        }
        if table_sizes.len() < LISTED {
            table_sizes.push(TableSize {
                schema: r.get(0),
                name: r.get(1),
                total_bytes: r.get(2),
                table_bytes: r.get(3),
                index_bytes: r.get(4),
                rows_estimate: rows,
                seq_scan,
                idx_scan,
            });
        }
    }

    let mut index_sizes = Vec::new();
    // Indexes with the same table, method, columns, operator classes, collations, options,
    // expressions and predicate: all but one are dead weight on every write.
    let mut same: BTreeMap<String, Vec<(bool, String)>> = BTreeMap::new();
    for r in &indexes {
        let (bytes, scans, has_stats, constrains): (i64, i64, bool, bool) = (r.get(3), r.get(4), r.get(5), r.get(6));
        let qualified: String = r.get(7);
        if has_stats && scans == 0 && !constrains {
            findings.push(Finding {
                check: "unused_index",
                severity: Severity::Info,
                object: Some(qualified.clone()),
                message: format!(
                    "{qualified} ({bytes} bytes) has not been used since statistics were last reset, \
                     yet every write to its table maintains it"
                ),
                fix_sql: Some(format!("DROP INDEX CONCURRENTLY {qualified};")),
            });
        }
        same.entry(r.get(9)).or_default().push((constrains, qualified));
        if index_sizes.len() < LISTED {
            index_sizes.push(IndexSize {
                schema: r.get(0),
                table: r.get(1),
                name: r.get(2),
                bytes,
                scans,
                definition: r.get(8),
            });
        }
    }
    for mut group in same.into_values().filter(|g| g.len() > 1) {
        // Keep one that backs a constraint if any (it cannot be dropped alone), else the first name.
        group.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let kept = group[0].1.clone();
        for (constrains, qualified) in group.into_iter().skip(1) {
            findings.push(Finding {
                check: "duplicate_index",
                severity: Severity::Warning,
                object: Some(qualified.clone()),
                message: format!("{qualified} is identical to {kept}: one of them is enough"),
                fix_sql: (!constrains).then(|| format!("DROP INDEX CONCURRENTLY {qualified};")),
            });
        }
    }

    let ratio = |hit: Option<f64>, read: Option<f64>| {
        let (hit, read) = (hit.unwrap_or(0.0), read.unwrap_or(0.0));
        (hit + read > 0.0).then(|| hit / (hit + read))
    };
    let (table_ratio, index_ratio, table_blocks, index_blocks) = match cache.first() {
        Some(r) => {
            let (th, tr, ih, ir): (Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            let sum = |a: Option<f64>, b: Option<f64>| a.unwrap_or(0.0) + b.unwrap_or(0.0);
            (ratio(th, tr), ratio(ih, ir), sum(th, tr), sum(ih, ir))
        }
        None => (None, None, 0.0, 0.0),
    };
    for (kind, value, blocks) in [("table", table_ratio, table_blocks), ("index", index_ratio, index_blocks)] {
        if let Some(value) = value.filter(|v| *v < CACHE_GOOD_RATIO && blocks >= CACHE_MIN_BLOCKS) {
            findings.push(Finding {
                check: "cache_hit_ratio",
                severity: Severity::Info,
                object: None,
                message: format!(
                    "{:.1}% of {kind} block reads were served from shared buffers (aim for 99%): the working \
                     set may not fit in shared_buffers",
                    value * 100.0
                ),
                fix_sql: None,
            });
        }
    }

    for r in &sessions {
        let (pid, state, user, database, seconds): (i32, Option<String>, Option<String>, Option<String>, Option<f64>) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let seconds = seconds.unwrap_or(0.0);
        let who = format!(
            "{} on {}",
            user.as_deref().unwrap_or("an unknown user"),
            database.as_deref().unwrap_or("an unknown database")
        );
        if state.as_deref() == Some("active") && seconds > LONG_QUERY_SECS {
            findings.push(Finding {
                check: "long_running_query",
                severity: Severity::Warning,
                object: Some(format!("pid {pid}")),
                message: format!("session {pid} ({who}) has been running one statement for {seconds:.0} s"),
                fix_sql: Some(format!("SELECT pg_cancel_backend({pid});")),
            });
        } else if state.as_deref() != Some("active") && seconds > IDLE_IN_TRANSACTION_SECS {
            findings.push(Finding {
                check: "idle_in_transaction",
                severity: Severity::Warning,
                object: Some(format!("pid {pid}")),
                message: format!(
                    "session {pid} ({who}) has left a transaction open and idle for {seconds:.0} s: it holds \
                     its locks and keeps vacuum from cleaning up"
                ),
                fix_sql: Some(format!("SELECT pg_terminate_backend({pid});")),
            });
        }
    }

    let mut databases = Vec::new();
    for r in &ages {
        let (database, age, freeze_max): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
        let share = age as f64 / WRAPAROUND_LIMIT;
        if age > freeze_max {
            findings.push(Finding {
                check: "transaction_id_wraparound",
                severity: if share > WRAPAROUND_ERROR_RATIO { Severity::Error } else { Severity::Warning },
                object: Some(database.clone()),
                message: format!(
                    "database {database} has transaction ids {age} old ({:.0}% of the way to wraparound, past \
                     autovacuum_freeze_max_age {freeze_max}): if autovacuum cannot catch up, the server stops \
                     accepting writes",
                    share * 100.0
                ),
                fix_sql: Some("VACUUM (FREEZE, VERBOSE); -- run while connected to that database".into()),
            });
        }
        databases.push(DatabaseAge { database, transaction_id_age: age, wraparound_ratio: share });
    }

    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.check.cmp(b.check)).then(a.object.cmp(&b.object)));
    Ok(Advice {
        findings,
        tables: table_sizes,
        indexes: index_sizes,
        cache_hit_ratio: CacheHitRatio { table: table_ratio, index: index_ratio },
        databases,
    })
}
