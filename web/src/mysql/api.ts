// The MariaDB/MySQL routes of the API (`/api/platform/mysql/{ref}/…`, src/api/mysql.rs): SQL and its
// CSV export, the schema's listings, and a table's rows (the same query and bodies as PostgreSQL's,
// api.ts RowsApi).
import { ApiError, encodePathSegment, platformCall, rowsApi, runSql, sqlCsv, withQuery, type QueryResult, type RowsApi } from '../api'
import { withEditors } from './types'

/** A database (schema) of the server. */
export interface MyDatabase {
  name: string
  charset: string | null
  collation: string | null
}

/** A base table (`engine` is its storage engine: InnoDB, Aria…). */
export interface MyTable {
  name: string
  engine: string | null
  /** The server's estimate (exact for some storage engines, a guess for InnoDB). */
  rows_estimate: number | null
  data_bytes: number | null
  index_bytes: number | null
  collation: string | null
  comment: string | null
}

export interface MyView {
  name: string
  definition: string | null
  updatable: boolean
  definer: string | null
  security: string | null
}

export interface MyColumn {
  table: string
  name: string
  position: number
  /** The full type as declared: `int(10) unsigned`, `enum('a','b')`. */
  column_type: string
  /** The bare type name: `int`, `enum`. */
  data_type: string
  nullable: boolean
  default: string | null
  /** `PRI`, `UNI`, `MUL` or empty. */
  key: string
  /** `auto_increment`, `on update current_timestamp()`… */
  extra: string
  collation: string | null
  comment: string | null
}

export interface MyIndex {
  table: string
  name: string
  unique: boolean
  kind: string | null
  columns: string[]
}

export interface MyForeignKey {
  table: string
  name: string
  columns: string[]
  referenced_database: string
  referenced_table: string
  referenced_columns: string[]
  on_update: string
  on_delete: string
}

/** What ran, with what MySQL adds to the shared answer. */
export interface MyQueryResult extends QueryResult {
  /** The id an `AUTO_INCREMENT` column was given, if any. */
  lastInsertId: number | null
  warnings: number
}

/** What the server said about a failed statement (`details` of a `QUERY_ERROR`). */
export interface MyErrorDetails {
  /** The server's error number, e.g. 1064. */
  code: number | null
  sqlstate: string | null
  /** 1-based position in the statement's text, in characters. */
  position: number | null
}

/** The MySQL details of an error, when the server gave them. */
export function myErrorDetails(error: unknown): MyErrorDetails | null {
  if (!(error instanceof ApiError) || !error.details || typeof error.details !== 'object') return null
  const d = error.details as Record<string, unknown>
  return {
    code: typeof d.code === 'number' ? d.code : null,
    sqlstate: typeof d.sqlstate === 'string' ? d.sqlstate : null,
    position: typeof d.position === 'number' ? d.position : null,
  }
}

function base(ref: string): string {
  return `mysql/${encodePathSegment(ref)}`
}

function databasePath(ref: string, database: string, tail: string, connectionId?: string, table?: string): string {
  return withQuery(`${base(ref)}/databases/${encodePathSegment(database)}/${tail}`, { connection_id: connectionId, table })
}

export const my = {
  /** Runs SQL (read-only for viewers, server-side); at most the row cap of rows come back. */
  query: async (ref: string, query: string, connectionId?: string): Promise<MyQueryResult> => {
    const { result, answer } = await runSql(withQuery(`${base(ref)}/query`, { connection_id: connectionId }), { query })
    return {
      ...result,
      lastInsertId: typeof answer.last_insert_id === 'number' ? answer.last_insert_id : null,
      warnings: typeof answer.warnings === 'number' ? answer.warnings : 0,
    }
  },
  /** The whole result of one statement as CSV (streamed by the server, without the row cap). */
  exportCsv: (ref: string, query: string, connectionId?: string): Promise<Blob> =>
    sqlCsv(withQuery(`${base(ref)}/query`, { connection_id: connectionId }), { query }),
  databases: (ref: string, connectionId?: string) =>
    platformCall<MyDatabase[]>('GET', withQuery(`${base(ref)}/databases`, { connection_id: connectionId })),
  tables: (ref: string, database: string, connectionId?: string) =>
    platformCall<MyTable[]>('GET', databasePath(ref, database, 'tables', connectionId)),
  views: (ref: string, database: string, connectionId?: string) =>
    platformCall<MyView[]>('GET', databasePath(ref, database, 'views', connectionId)),
  /** The columns of one table, or of every table and view of the database. */
  columns: (ref: string, database: string, connectionId?: string, table?: string) =>
    platformCall<MyColumn[]>('GET', databasePath(ref, database, 'columns', connectionId, table)),
  indexes: (ref: string, database: string, connectionId?: string, table?: string) =>
    platformCall<MyIndex[]>('GET', databasePath(ref, database, 'indexes', connectionId, table)),
  foreignKeys: (ref: string, database: string, connectionId?: string) =>
    platformCall<MyForeignKey[]>('GET', databasePath(ref, database, 'foreign-keys', connectionId)),
}

/** A table's rows routes; the columns of a page carry the editor their MySQL type takes. */
export function myTableRows(ref: string, database: string, table: string, connectionId?: string): RowsApi {
  const rows = rowsApi(`${base(ref)}/databases/${encodePathSegment(database)}/tables/${encodePathSegment(table)}/rows`, connectionId)
  return {
    ...rows,
    list: async (q) => {
      const page = await rows.list(q)
      return { ...page, columns: withEditors(page.columns) }
    },
  }
}
