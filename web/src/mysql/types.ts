// Which editor a MariaDB/MySQL column's values take in the Table Editor (the shared editors are
// named after PostgreSQL's types), and how identifiers are written in MySQL's SQL.
import type { RowColumn } from '../api'
import type { EditorKind } from '../postgres/editor/cells'

/** The editor of a column by its type: `format` is the bare type name, `type` the whole one. */
export function mysqlEditorKind(column: Pick<RowColumn, 'format' | 'type'>): EditorKind {
  const unsigned = /\bunsigned\b/i.test(column.type)
  switch (column.format.toLowerCase()) {
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int':
    case 'integer':
    case 'year':
    case 'bit':
      return 'integer'
    case 'bigint':
      // An unsigned BIGINT reaches 2^64 − 1, past a signed one: its digits go out as typed.
      return unsigned ? 'decimal' : 'bigint'
    case 'decimal':
    case 'numeric':
      return 'decimal'
    case 'float':
    case 'double':
    case 'real':
      return 'float'
    case 'json':
      return 'json'
    case 'date':
      return 'date'
    case 'datetime':
    case 'timestamp':
      return 'timestamp'
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      // Bytes come as `\x` and hex, the shape PostgreSQL's bytea has.
      return 'bytea'
    default:
      // Text, enum (its labels come apart), set, and TIME (hours may pass 24: -838:59:59).
      return 'text'
  }
}

/** Columns with the editor each takes. */
export function withEditors(columns: RowColumn[]): RowColumn[] {
  return columns.map((c) => ({ ...c, editor: mysqlEditorKind(c) }))
}

/** An identifier in backticks, as MySQL quotes it (a backtick inside doubled). */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``
}

/** The databases MySQL keeps for itself; they are listed after the others. */
export const SYSTEM_DATABASES = ['information_schema', 'mysql', 'performance_schema', 'sys']
