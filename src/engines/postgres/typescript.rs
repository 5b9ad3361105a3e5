//! `GET …/generators/typescript`: the schema as TypeScript, in the `Database` shape of Supabase's
//! generator (`supabase gen types typescript`, postgres-meta's `templates/typescript.ts`): the same
//! sections, type mapping, optionality, ordering and helper types, printed the way its prettier
//! pass prints them (two-space indent, no semicolons, keys unquoted where they are identifiers,
//! short objects and unions on one line up to 80 columns).
//!
//! Not reproduced: relationships of views (postgres-meta derives them from view dependencies; here
//! a view's `Relationships` is empty), the error markers postgres-meta emits for ambiguous function
//! overloads, and prettier's line breaking of very long tuples.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use super::catalog::{self, read_catalog, select, SchemaFilter, SCHEMA_FILTER};
use super::objects::{self, Function, PgType};
use super::PostgresClient;
use crate::engines::EngineError;

const WIDTH: usize = 80;
/// The schema the helper types default to (postgres-meta's `GENERATE_TYPES_DEFAULT_SCHEMA`).
const DEFAULT_SCHEMA: &str = "public";
/// Types PostgREST accepts for an unnamed argument: json, jsonb, text.
const UNNAMED_ARG_TYPES: [i64; 3] = [114, 3802, 25];

/// A table, view, materialized view or foreign table.
struct Relation {
    id: i64,
    schema: String,
    name: String,
    /// `r`, `p`, `f` (tables) or `v`, `m` (views).
    kind: String,
    is_updatable: bool,
}

struct Column {
    table_id: i64,
    name: String,
    format: String,
    is_nullable: bool,
    is_identity: bool,
    identity_always: bool,
    has_default: bool,
    is_updatable: bool,
}

struct ForeignKeyInfo {
    name: String,
    schema: String,
    relation: String,
    columns: Vec<String>,
    is_one_to_one: bool,
    referenced_schema: String,
    referenced_relation: String,
    referenced_columns: Vec<String>,
}

/// Everything the generator reads.
struct Metadata {
    schemas: Vec<String>,
    relations: Vec<Relation>,
    columns: Vec<Column>,
    relationships: Vec<ForeignKeyInfo>,
    functions: Vec<Function>,
    types: Vec<PgType>,
}

/// Generates the TypeScript of the filtered schemas (never the system schemas).
pub async fn generate(client: &PostgresClient, filter: &SchemaFilter) -> Result<String, EngineError> {
    let filter = SchemaFilter { include_system: false, ..filter.clone() };
    let schemas = catalog::schemas(client, &filter).await?.into_iter().map(|s| s.name).collect();
    let (relations, columns, relationships) = read_catalog(client, async |s| {
        let relations = relations(s, &filter).await?;
        let columns = columns(s, &filter).await?;
        let relationships = relationships(s, &filter).await?;
        Ok((relations, columns, relationships))
    })
    .await?;
    let functions = objects::functions(client, &filter)
        .await?
        .into_iter()
        .filter(|f| f.kind == "f" && f.return_type != "trigger" && f.return_type != "event_trigger")
        .collect();
    let all_schemas = SchemaFilter { include_system: true, ..SchemaFilter::default() };
    let types = objects::types(client, &all_schemas, true).await?;
    Ok(render(Metadata { schemas, relations, columns, relationships, functions, types }))
}

async fn relations(session: &super::Session, filter: &SchemaFilter) -> Result<Vec<Relation>, EngineError> {
    let sql = format!(
        "SELECT c.oid::int8, nc.nspname::text, c.relname::text, c.relkind::text,
                (pg_relation_is_updatable(c.oid, false) & 28) = 28
         FROM pg_class c JOIN pg_namespace nc ON nc.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT c.relispartition
           AND (pg_has_role(c.relowner, 'USAGE')
                OR has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
           AND {SCHEMA_FILTER}
         ORDER BY nc.nspname, c.relname"
    );
    let rows = select(session, &sql, filter).await?;
    Ok(rows
        .iter()
        .map(|r| Relation { id: r.get(0), schema: r.get(1), name: r.get(2), kind: r.get(3), is_updatable: r.get(4) })
        .collect())
}

async fn columns(session: &super::Session, filter: &SchemaFilter) -> Result<Vec<Column>, EngineError> {
    let sql = format!(
        "SELECT c.oid::int8, a.attname::text, COALESCE(bt.typname, t.typname)::text,
                NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)),
                a.attidentity IN ('a', 'd'), a.attidentity = 'a', ad.adbin IS NOT NULL,
                pg_column_is_updatable(c.oid, a.attnum, false)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace nc ON nc.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND {SCHEMA_FILTER}
         ORDER BY c.oid, a.attnum"
    );
    let rows = select(session, &sql, filter).await?;
    Ok(rows
        .iter()
        .map(|r| Column {
            table_id: r.get(0),
            name: r.get(1),
            format: r.get(2),
            is_nullable: r.get(3),
            is_identity: r.get(4),
            identity_always: r.get(5),
            has_default: r.get(6),
            is_updatable: r.get(7),
        })
        .collect())
}

async fn relationships(session: &super::Session, filter: &SchemaFilter) -> Result<Vec<ForeignKeyInfo>, EngineError> {
    // One to one: the referencing columns, in key order, are exactly a primary key or unique
    // constraint of the referencing table (postgres-meta's rule, from PostgREST).
    let sql = format!(
        "WITH fk AS (
           SELECT con.oid, con.conname, con.conrelid, con.confrelid, nc.nspname, cs.relname,
             ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS cols,
             ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS refs
           FROM pg_constraint con
           JOIN pg_namespace nc ON nc.oid = con.connamespace
           JOIN pg_class cs ON cs.oid = con.conrelid
           WHERE con.contype = 'f' AND con.conparentid = 0 AND {SCHEMA_FILTER})
         SELECT fk.conname::text, fk.nspname::text, fk.relname::text, fk.cols,
           EXISTS (SELECT 1 FROM pg_constraint u WHERE u.conrelid = fk.conrelid AND u.contype IN ('p', 'u')
                   AND ARRAY(SELECT a.attname::text FROM unnest(u.conkey) k(n)
                             JOIN pg_attribute a ON a.attrelid = u.conrelid AND a.attnum = k.n
                             ORDER BY a.attnum) = fk.cols),
           nt.nspname::text, ct.relname::text, fk.refs
         FROM fk
         JOIN pg_class ct ON ct.oid = fk.confrelid
         JOIN pg_namespace nt ON nt.oid = ct.relnamespace"
    );
    let rows = select(session, &sql, filter).await?;
    Ok(rows
        .iter()
        .map(|r| ForeignKeyInfo {
            name: r.get(0),
            schema: r.get(1),
            relation: r.get(2),
            columns: r.get(3),
            is_one_to_one: r.get(4),
            referenced_schema: r.get(5),
            referenced_relation: r.get(6),
            referenced_columns: r.get(7),
        })
        .collect())
}

/// Orders like JavaScript's `localeCompare` (ICU root collation) does for names: punctuation
/// before digits before letters, letters without regard to case first, then lower before upper.
pub fn locale_cmp(a: &str, b: &str) -> Ordering {
    fn primary(c: char) -> (u8, String) {
        let class = if c.is_alphabetic() {
            2
        } else if c.is_numeric() {
            1
        } else {
            0
        };
        (class, c.to_lowercase().collect())
    }
    let pa: Vec<_> = a.chars().map(primary).collect();
    let pb: Vec<_> = b.chars().map(primary).collect();
    pa.cmp(&pb)
        .then_with(|| {
            // Tertiary: lower case first.
            let ta: Vec<bool> = a.chars().map(char::is_uppercase).collect();
            let tb: Vec<bool> = b.chars().map(char::is_uppercase).collect();
            ta.cmp(&tb)
        })
        .then_with(|| a.cmp(b))
}

/// A string as a JavaScript string literal (JSON's escaping, double quotes).
fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// A property key as prettier prints it: bare when it is an identifier, else a string literal.
pub fn property_key(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = match chars.next() {
        Some(first) => {
            (first == '$' || first == '_' || first.is_alphabetic())
                && chars.all(|c| c == '$' || c == '_' || c.is_alphanumeric())
        }
        None => false,
    };
    if identifier {
        name.to_string()
    } else {
        js_string(name)
    }
}

/// A TypeScript type, printed on one line when it fits and may, else over several.
#[derive(Clone, Debug)]
enum Ts {
    Text(String),
    Union(Vec<Ts>),
    /// An object type; `expanded` ones always take one line per member (as in the template).
    Object {
        members: Vec<Member>,
        expanded: bool,
    },
    Array(Box<Ts>),
    /// `Relationships: [...]`: always one object per entry.
    Tuple(Vec<Ts>),
}

#[derive(Clone, Debug)]
struct Member {
    key: String,
    optional: bool,
    ty: Ts,
}

fn member(key: &str, optional: bool, ty: Ts) -> Member {
    Member { key: property_key(key), optional, ty }
}

fn text(s: impl Into<String>) -> Ts {
    Ts::Text(s.into())
}

fn expanded(members: Vec<Member>) -> Ts {
    Ts::Object { members, expanded: true }
}

/// `T | null`, except for `unknown` (which includes null already).
fn nullable(ty: Ts, is_nullable: bool) -> Ts {
    match ty {
        Ts::Text(t) if t == "unknown" || t == "any" => Ts::Text(t),
        ty if !is_nullable => ty,
        Ts::Union(mut alternatives) => {
            alternatives.push(text("null"));
            Ts::Union(alternatives)
        }
        ty => Ts::Union(vec![ty, text("null")]),
    }
}

impl Ts {
    /// The type on one line, if it may be printed so.
    fn inline(&self) -> Option<String> {
        match self {
            Ts::Text(t) => Some(t.clone()),
            Ts::Union(alternatives) => {
                Some(alternatives.iter().map(Ts::inline).collect::<Option<Vec<_>>>()?.join(" | "))
            }
            Ts::Object { members, expanded: false } => {
                if members.is_empty() {
                    return Some("{}".into());
                }
                let parts = members
                    .iter()
                    .map(|m| Some(format!("{}{}: {}", m.key, if m.optional { "?" } else { "" }, m.ty.inline()?)))
                    .collect::<Option<Vec<_>>>()?;
                Some(format!("{{ {} }}", parts.join("; ")))
            }
            Ts::Object { expanded: true, .. } => None,
            Ts::Array(inner) => match inner.as_ref() {
                Ts::Union(_) => Some(format!("({})[]", inner.inline()?)),
                other => Some(format!("{}[]", other.inline()?)),
            },
            Ts::Tuple(items) if items.is_empty() => Some("[]".into()),
            Ts::Tuple(_) => None,
        }
    }
}

/// Writes lines of TypeScript.
#[derive(Default)]
struct Out(String);

impl Out {
    fn line(&mut self, indent: usize, text: &str) {
        if !text.is_empty() {
            self.0.push_str(&" ".repeat(indent));
            self.0.push_str(text);
        }
        self.0.push('\n');
    }

    /// `key: type` at `indent`, broken over lines when it does not fit.
    fn member(&mut self, indent: usize, m: &Member) {
        let head = format!("{}{}:", m.key, if m.optional { "?" } else { "" });
        if let Some(inline) = m.ty.inline() {
            if indent + head.chars().count() + 1 + inline.chars().count() <= WIDTH {
                self.line(indent, &format!("{head} {inline}"));
                return;
            }
        }
        match &m.ty {
            Ts::Union(alternatives) => {
                self.line(indent, &head);
                for alternative in alternatives {
                    self.alternative(indent + 2, alternative);
                }
            }
            Ts::Object { members, .. } => {
                self.line(indent, &format!("{head} {{"));
                self.members(indent + 2, members);
                self.line(indent, "}");
            }
            Ts::Array(inner) => match inner.as_ref() {
                Ts::Object { members, .. } => {
                    self.line(indent, &format!("{head} {{"));
                    self.members(indent + 2, members);
                    self.line(indent, "}[]");
                }
                other => self.line(indent, &format!("{head} {}[]", other.inline().unwrap_or_default())),
            },
            Ts::Tuple(items) => {
                self.line(indent, &format!("{head} ["));
                for item in items {
                    if let Ts::Object { members, .. } = item {
                        self.line(indent + 2, "{");
                        self.members(indent + 4, members);
                        self.line(indent + 2, "},");
                    }
                }
                self.line(indent, "]");
            }
            Ts::Text(t) => self.line(indent, &format!("{head} {t}")),
        }
    }

    /// One `| alternative` of a broken union.
    fn alternative(&mut self, indent: usize, ty: &Ts) {
        if let Some(inline) = ty.inline() {
            if indent + 2 + inline.chars().count() <= WIDTH {
                self.line(indent, &format!("| {inline}"));
                return;
            }
        }
        match ty {
            Ts::Object { members, .. } => {
                self.line(indent, "| {");
                self.members(indent + 4, members);
                self.line(indent + 2, "}");
            }
            other => self.line(indent, &format!("| {}", other.inline().unwrap_or_default())),
        }
    }

    fn members(&mut self, indent: usize, members: &[Member]) {
        for m in members {
            self.member(indent, m);
        }
    }
}

/// What the renderer looks things up in.
struct Context<'a> {
    meta: &'a Metadata,
    types_by_id: HashMap<i64, &'a PgType>,
    columns_by_table: HashMap<i64, Vec<&'a Column>>,
}

impl Context<'_> {
    fn has_schema(&self, schema: &str) -> bool {
        self.meta.schemas.iter().any(|s| s == schema)
    }

    /// postgres-meta's `pgTypeToTsType`: `schema` is the schema being printed (its own types win).
    fn ts_type(&self, schema: &str, pg_type: &str) -> Ts {
        match pg_type {
            "bool" => return text("boolean"),
            "int2" | "int4" | "int8" | "float4" | "float8" | "numeric" => return text("number"),
            "bytea" | "bpchar" | "varchar" | "date" | "text" | "citext" | "time" | "timetz" | "timestamp"
            | "timestamptz" | "uuid" | "vector" | "interval" => return text("string"),
            "json" | "jsonb" => return text("Json"),
            "void" => return text("undefined"),
            "record" => return text("Record<string, unknown>"),
            _ => {}
        }
        if let Some(element) = pg_type.strip_prefix('_') {
            return Ts::Array(Box::new(self.ts_type(schema, element)));
        }
        let types = &self.meta.types;
        let enums: Vec<(&str, &str)> = types
            .iter()
            .filter(|t| t.name == pg_type && !t.enums.is_empty())
            .map(|t| (t.schema.as_str(), t.name.as_str()))
            .collect();
        if let Some((s, name)) = pick(&enums, schema) {
            if self.has_schema(s) {
                return text(format!("Database[{}][\"Enums\"][{}]", js_string(s), js_string(name)));
            }
            let labels = types.iter().find(|t| t.schema == s && t.name == name).map(|t| t.enums.clone());
            return Ts::Union(labels.unwrap_or_default().iter().map(|l| text(js_string(l))).collect());
        }
        let composites: Vec<(&str, &str)> = types
            .iter()
            .filter(|t| t.name == pg_type && !t.attributes.is_empty())
            .map(|t| (t.schema.as_str(), t.name.as_str()))
            .collect();
        if let Some((s, name)) = pick(&composites, schema) {
            return if self.has_schema(s) {
                text(format!("Database[{}][\"CompositeTypes\"][{}]", js_string(s), js_string(name)))
            } else {
                text("unknown")
            };
        }
        for (kinds, section) in [(&["r", "p", "f"][..], "Tables"), (&["v", "m"][..], "Views")] {
            let rows: Vec<(&str, &str)> = self
                .meta
                .relations
                .iter()
                .filter(|r| r.name == pg_type && kinds.contains(&r.kind.as_str()))
                .map(|r| (r.schema.as_str(), r.name.as_str()))
                .collect();
            if let Some((s, name)) = pick(&rows, schema) {
                return if self.has_schema(s) {
                    text(format!("Database[{}][\"{section}\"][{}][\"Row\"]", js_string(s), js_string(name)))
                } else {
                    text("unknown")
                };
            }
        }
        text("unknown")
    }

    fn ts_type_of_id(&self, schema: &str, type_id: i64) -> Ts {
        match self.types_by_id.get(&type_id) {
            Some(t) => self.ts_type(schema, &t.name),
            None => text("unknown"),
        }
    }

    fn columns(&self, table_id: i64) -> &[&Column] {
        self.columns_by_table.get(&table_id).map(Vec::as_slice).unwrap_or_default()
    }

    fn row(&self, schema: &str, relation: &Relation, functions: &[&Function]) -> Ts {
        let mut members: Vec<Member> = self
            .columns(relation.id)
            .iter()
            .map(|c| member(&c.name, false, nullable(self.ts_type(schema, &c.format), c.is_nullable)))
            .collect();
        for f in functions.iter().filter(|f| f.argument_types == relation.name) {
            members.push(member(&f.name, false, nullable(self.function_return(schema, f), true)));
        }
        expanded(members)
    }

    fn relationships(&self, relation: &Relation) -> Ts {
        let mut items: Vec<&ForeignKeyInfo> = self
            .meta
            .relationships
            .iter()
            .filter(|r| r.schema == relation.schema && r.relation == relation.name)
            .filter(|r| r.referenced_schema == relation.schema)
            .collect();
        items.sort_by(|a, b| {
            locale_cmp(&a.name, &b.name)
                .then_with(|| locale_cmp(&a.referenced_relation, &b.referenced_relation))
                .then_with(|| locale_cmp(&json_list(&a.referenced_columns), &json_list(&b.referenced_columns)))
        });
        Ts::Tuple(
            items
                .iter()
                .map(|r| {
                    expanded(vec![
                        member("foreignKeyName", false, text(js_string(&r.name))),
                        member("columns", false, text(json_list(&r.columns))),
                        member("isOneToOne", false, text(r.is_one_to_one.to_string())),
                        member("referencedRelation", false, text(js_string(&r.referenced_relation))),
                        member("referencedColumns", false, text(json_list(&r.referenced_columns))),
                    ])
                })
                .collect(),
        )
    }

    fn table(&self, schema: &str, relation: &Relation, functions: &[&Function]) -> Member {
        let columns = self.columns(relation.id);
        let write = |insert: bool| {
            expanded(
                columns
                    .iter()
                    .map(|c| {
                        if c.identity_always {
                            return member(&c.name, true, text("never"));
                        }
                        let optional = !insert || c.is_nullable || c.is_identity || c.has_default;
                        member(&c.name, optional, nullable(self.ts_type(schema, &c.format), c.is_nullable))
                    })
                    .collect(),
            )
        };
        member(
            &relation.name,
            false,
            expanded(vec![
                member("Row", false, self.row(schema, relation, functions)),
                member("Insert", false, write(true)),
                member("Update", false, write(false)),
                member("Relationships", false, self.relationships(relation)),
            ]),
        )
    }

    fn view(&self, schema: &str, relation: &Relation, functions: &[&Function]) -> Member {
        let mut members = vec![member("Row", false, self.row(schema, relation, functions))];
        if relation.kind == "v" && relation.is_updatable {
            let write = || {
                expanded(
                    self.columns(relation.id)
                        .iter()
                        .map(|c| {
                            if c.is_updatable {
                                member(&c.name, true, nullable(self.ts_type(schema, &c.format), true))
                            } else {
                                member(&c.name, true, text("never"))
                            }
                        })
                        .collect(),
                )
            };
            members.push(member("Insert", false, write()));
            members.push(member("Update", false, write()));
        }
        members.push(member("Relationships", false, self.relationships(relation)));
        member(&relation.name, false, expanded(members))
    }

    /// The relation (or composite type) whose rows a function returns, by name.
    fn returned_relation(&self, f: &Function) -> Option<String> {
        let id = f.return_type_relation_id?;
        if let Some(r) = self.meta.relations.iter().find(|r| r.id == id) {
            return Some(r.name.clone());
        }
        self.types_by_id.get(&f.return_type_id).filter(|t| t.type_relation_id.is_some()).map(|t| t.name.clone())
    }

    fn function_return(&self, schema: &str, f: &Function) -> Ts {
        let mut table_args: Vec<_> = f.args.iter().filter(|a| a.mode == "table").collect();
        if !table_args.is_empty() {
            table_args.sort_by(|a, b| locale_cmp(&a.name, &b.name));
            return expanded(
                table_args.iter().map(|a| member(&a.name, false, self.ts_type_of_id(schema, a.type_id))).collect(),
            );
        }
        let relation =
            self.meta.relations.iter().find(|r| r.schema == schema && Some(r.id) == f.return_type_relation_id);
        if let Some(relation) = relation {
            let mut columns: Vec<&&Column> = self.columns(relation.id).iter().collect();
            columns.sort_by(|a, b| locale_cmp(&a.name, &b.name));
            return expanded(
                columns
                    .iter()
                    .map(|c| member(&c.name, false, nullable(self.ts_type(schema, &c.format), c.is_nullable)))
                    .collect(),
            );
        }
        self.ts_type_of_id(schema, f.return_type_id)
    }

    /// `{ Args; Returns; SetofOptions? }` of one function.
    fn signature(&self, schema: &str, f: &Function) -> Ts {
        let mut args: Vec<_> =
            f.args.iter().filter(|a| matches!(a.mode.as_str(), "in" | "inout" | "variadic")).collect();
        args.sort_by(|a, b| locale_cmp(&a.name, &b.name));
        let args = if args.is_empty() {
            text("never")
        } else {
            Ts::Object {
                members: args
                    .iter()
                    .map(|a| member(&a.name, a.has_default, self.ts_type_of_id(schema, a.type_id)))
                    .collect(),
                expanded: false,
            }
        };
        let returned = self.returned_relation(f);
        let multiple_rows = f.prorows.is_some_and(|rows| rows > 1.0);
        let single_row = !multiple_rows && returned.is_some();
        let mut returns = self.function_return(schema, f);
        if f.is_set_returning_function && !single_row {
            returns = Ts::Array(Box::new(returns));
        }
        let mut members = vec![member("Args", false, args), member("Returns", false, returns)];
        let setof = |from: &str, to: &str, one: bool, set: bool| {
            expanded(vec![
                member("from", false, text(js_string(from))),
                member("to", false, text(js_string(to))),
                member("isOneToOne", false, text(one.to_string())),
                member("isSetofReturn", false, text(set.to_string())),
            ])
        };
        let mut setof_options = returned.as_ref().map(|to| setof("*", to, !multiple_rows, f.is_set_returning_function));
        if let ([arg], Some(to)) = (f.args.as_slice(), returned.as_ref()) {
            if let Some(source) = self.types_by_id.get(&arg.type_id).filter(|t| t.type_relation_id.is_some()) {
                let set_of_table = f.is_set_returning_function && f.return_type_relation_id.is_some();
                setof_options = Some(if set_of_table {
                    setof(&source.format, to, !multiple_rows, true)
                } else {
                    setof(&source.format, to, true, false)
                });
            }
        }
        if let Some(options) = setof_options {
            members.push(member("SetofOptions", false, options));
        }
        Ts::Object { members, expanded: false }
    }

    /// Whether PostgREST can call it (postgres-meta's rule on unnamed arguments).
    fn callable(&self, f: &Function) -> bool {
        let inputs: Vec<_> = f.args.iter().filter(|a| matches!(a.mode.as_str(), "in" | "inout" | "variadic")).collect();
        let is_relation_type = |id: i64| self.types_by_id.get(&id).is_some_and(|t| t.type_relation_id.is_some());
        inputs.is_empty()
            || inputs.iter().all(|a| !a.name.is_empty())
            || inputs.iter().all(|a| !a.name.is_empty() || (a.has_default && UNNAMED_ARG_TYPES.contains(&a.type_id)))
            || (inputs.len() == 1
                && (UNNAMED_ARG_TYPES.contains(&inputs[0].type_id) || is_relation_type(inputs[0].type_id)))
    }
}

/// The candidate in `schema` if there is one, else the first (postgres-meta's choice by name).
fn pick<'a>(candidates: &[(&'a str, &'a str)], schema: &str) -> Option<(&'a str, &'a str)> {
    candidates.iter().find(|(s, _)| *s == schema).or_else(|| candidates.first()).copied()
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into()).replace("\",\"", "\", \"")
}

fn never_or(members: Vec<Member>) -> Ts {
    if members.is_empty() {
        expanded(vec![Member { key: "[_ in never]".into(), optional: false, ty: text("never") }])
    } else {
        expanded(members)
    }
}

fn render(mut meta: Metadata) -> String {
    meta.schemas.sort_by(|a, b| locale_cmp(a, b));
    let types_by_id = meta.types.iter().map(|t| (t.id, t)).collect();
    let mut columns_by_table: HashMap<i64, Vec<&Column>> = HashMap::new();
    for c in &meta.columns {
        columns_by_table.entry(c.table_id).or_default().push(c);
    }
    for columns in columns_by_table.values_mut() {
        columns.sort_by(|a, b| locale_cmp(&a.name, &b.name));
    }
    let cx = Context { meta: &meta, types_by_id, columns_by_table };

    let mut schemas = Vec::new();
    let mut constants = Vec::new();
    for schema in &meta.schemas {
        let mut relations: Vec<&Relation> = meta.relations.iter().filter(|r| &r.schema == schema).collect();
        relations.sort_by(|a, b| locale_cmp(&a.name, &b.name));
        let mut functions: Vec<&Function> =
            meta.functions.iter().filter(|f| &f.schema == schema && cx.callable(f)).collect();
        functions.sort_by(|a, b| locale_cmp(&a.name, &b.name));
        let tables = relations
            .iter()
            .filter(|r| matches!(r.kind.as_str(), "r" | "p" | "f"))
            .map(|r| cx.table(schema, r, &functions))
            .collect();
        let views = relations
            .iter()
            .filter(|r| matches!(r.kind.as_str(), "v" | "m"))
            .map(|r| cx.view(schema, r, &functions))
            .collect();

        let mut by_name: BTreeMap<&str, Vec<&Function>> = BTreeMap::new();
        for f in &functions {
            by_name.entry(&f.name).or_default().push(f);
        }
        let mut names: Vec<&str> = by_name.keys().copied().collect();
        names.sort_by(|a, b| locale_cmp(a, b));
        let function_members = names
            .iter()
            .map(|name| {
                let mut overloads = by_name.get(name).cloned().unwrap_or_default();
                overloads.sort_by(|a, b| {
                    locale_cmp(&a.argument_types, &b.argument_types)
                        .then_with(|| locale_cmp(&a.return_type, &b.return_type))
                });
                let signatures: Vec<Ts> = overloads.iter().map(|f| cx.signature(schema, f)).collect();
                let ty = match <[Ts; 1]>::try_from(signatures) {
                    Ok([one]) => one,
                    Err(many) => Ts::Union(many),
                };
                member(name, false, ty)
            })
            .collect();

        let mut enums: Vec<&PgType> =
            meta.types.iter().filter(|t| &t.schema == schema && !t.enums.is_empty()).collect();
        enums.sort_by(|a, b| locale_cmp(&a.name, &b.name));
        let enum_members = enums
            .iter()
            .map(|e| member(&e.name, false, Ts::Union(e.enums.iter().map(|l| text(js_string(l))).collect())))
            .collect();
        let mut composites: Vec<&PgType> =
            meta.types.iter().filter(|t| &t.schema == schema && !t.attributes.is_empty()).collect();
        composites.sort_by(|a, b| locale_cmp(&a.name, &b.name));
        let composite_members = composites
            .iter()
            .map(|t| {
                let attributes = t
                    .attributes
                    .iter()
                    .map(|a| member(&a.name, false, nullable(cx.ts_type_of_id(schema, a.type_id), true)))
                    .collect();
                member(&t.name, false, expanded(attributes))
            })
            .collect();
        schemas.push(member(
            schema,
            false,
            expanded(vec![
                member("Tables", false, never_or(tables)),
                member("Views", false, never_or(views)),
                member("Functions", false, never_or(function_members)),
                member("Enums", false, never_or(enum_members)),
                member("CompositeTypes", false, never_or(composite_members)),
            ]),
        ));
        constants.push((schema.clone(), enums.iter().map(|e| (e.name.clone(), e.enums.clone())).collect::<Vec<_>>()));
    }

    let mut out = Out::default();
    out.0.push_str(JSON_TYPE);
    out.line(0, "");
    out.line(0, "export type Database = {");
    out.members(2, &schemas);
    out.line(0, "}");
    out.line(0, "");
    out.0.push_str(&HELPERS.replace("{DEFAULT_SCHEMA}", &js_string(DEFAULT_SCHEMA)));
    out.line(0, "");
    out.line(0, "export const Constants = {");
    for (schema, enums) in &constants {
        out.line(2, &format!("{}: {{", property_key(schema)));
        if enums.is_empty() {
            out.line(4, "Enums: {},");
        } else {
            out.line(4, "Enums: {");
            for (name, labels) in enums {
                let key = property_key(name);
                let items: Vec<String> = labels.iter().map(|l| js_string(l)).collect();
                let inline = format!("{key}: [{}],", items.join(", "));
                if 6 + inline.chars().count() <= WIDTH {
                    out.line(6, &inline);
                } else {
                    out.line(6, &format!("{key}: ["));
                    for item in &items {
                        out.line(8, &format!("{item},"));
                    }
                    out.line(6, "],");
                }
            }
            out.line(4, "},");
        }
        out.line(2, "},");
    }
    out.line(0, "} as const");
    out.0
}

const JSON_TYPE: &str = "export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]
";

/// The helper types, as the current generator prints them.
const HELPERS: &str = r#"type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, {DEFAULT_SCHEMA}>]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bare_identifiers_or_json_strings() {
        assert_eq!(property_key("user_id"), "user_id");
        assert_eq!(property_key("été"), "été");
        assert_eq!(property_key("default"), "default");
        assert_eq!(property_key("Mixed Case"), "\"Mixed Case\"");
        assert_eq!(property_key("1st"), "\"1st\"");
        assert_eq!(property_key("a\"b"), "\"a\\\"b\"");
        assert_eq!(property_key(""), "\"\"");
    }

    #[test]
    fn names_sort_like_locale_compare() {
        let mut names = vec!["b", "B", "a", "_x", "A1", "a2"];
        names.sort_by(|a, b| locale_cmp(a, b));
        assert_eq!(names, vec!["_x", "a", "A1", "a2", "b", "B"]);
    }
}
