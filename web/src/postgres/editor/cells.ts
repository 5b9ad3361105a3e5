// Values of cells, from what the server sent to what the editor shows and back. The editor holds
// a draft: its text and whether it is NULL, so NULL and the empty string stay two values. Numbers
// stay text until they go out; int8 and numeric go out as strings (exact, as the server sends
// them), int2/int4 and floats as JSON numbers, json and arrays as the text typed (JsonText).
import { JsonText, type RowColumn } from '../../api'

export type EditorKind =
  | 'text'
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'float'
  | 'boolean'
  | 'json'
  | 'array'
  | 'enum'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'uuid'
  | 'bytea'

/** The editor of a column: its engine's choice when it made one, else by PostgreSQL's type name. */
export function editorKind(col: Pick<RowColumn, 'format' | 'enum_values' | 'editor'>): EditorKind {
  if (col.enum_values && col.enum_values.length > 0) return 'enum'
  if (col.editor) return col.editor
  const f = col.format
  if (f.startsWith('_')) return 'array'
  switch (f) {
    case 'int2':
    case 'int4':
      return 'integer'
    case 'int8':
      return 'bigint'
    case 'numeric':
    case 'money':
      return 'decimal'
    case 'float4':
    case 'float8':
      return 'float'
    case 'bool':
      return 'boolean'
    case 'json':
    case 'jsonb':
      return 'json'
    case 'date':
      return 'date'
    case 'time':
    case 'timetz':
      return 'time'
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp'
    case 'uuid':
      return 'uuid'
    case 'bytea':
      return 'bytea'
    default:
      return 'text'
  }
}

/** What the editor holds: text as typed, and NULL apart from it. */
export interface Draft {
  isNull: boolean
  text: string
}

/** The draft of a stored value: strings as they are, JSON pretty, NULL as NULL. */
export function draftOf(col: Pick<RowColumn, 'format' | 'enum_values' | 'editor'>, value: unknown): Draft {
  if (value === null || value === undefined) return { isNull: true, text: '' }
  if (typeof value === 'string') return { isNull: false, text: value }
  const kind = editorKind(col)
  if (kind === 'json' || kind === 'array') return { isNull: false, text: JSON.stringify(value, null, 2) }
  return { isNull: false, text: typeof value === 'object' ? JSON.stringify(value) : String(value) }
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string }

const INTEGER = /^[+-]?\d+$/
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const SPECIAL_FLOATS = ['NaN', 'Infinity', '-Infinity']
const DATE = /^\d{4,}-\d{2}-\d{2}( BC)?$/
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}(:?\d{2})?|Z)?$/
const TIMESTAMP = /^\d{4,}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?( BC)?$/
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i
const BYTEA = /^\\x([0-9a-fA-F]{2})*$/
const INT_RANGE: Record<string, [number, number]> = { int2: [-32768, 32767], int4: [-2147483648, 2147483647] }
const INT8_MAX = 9223372036854775807n

/** The value to send for a draft, or why it cannot be sent (named by column, as the user sees it). */
export function parseDraft(col: Pick<RowColumn, 'name' | 'format' | 'enum_values' | 'nullable' | 'editor'>, draft: Draft): Parsed {
  const fail = (why: string): Parsed => ({ ok: false, error: `${col.name}: ${why}` })
  if (draft.isNull) return col.nullable ? { ok: true, value: null } : fail('cannot be NULL')
  const text = draft.text
  const trimmed = text.trim()
  switch (editorKind(col)) {
    case 'text':
      return { ok: true, value: text }
    case 'integer': {
      if (!INTEGER.test(trimmed)) return fail('must be a whole number')
      const n = Number(trimmed)
      const [lo, hi] = INT_RANGE[col.format] ?? [-Infinity, Infinity]
      if (n < lo || n > hi) return fail(`must be between ${lo} and ${hi}`)
      return { ok: true, value: n }
    }
    case 'bigint': {
      if (!INTEGER.test(trimmed)) return fail('must be a whole number')
      const n = BigInt(trimmed)
      if (n > INT8_MAX || n < -INT8_MAX - 1n) return fail('is out of range for a bigint')
      // Canonical digits (no sign or leading zeros of the user's), still a string: never a Number.
      return { ok: true, value: n.toString() }
    }
    case 'decimal':
      if (!DECIMAL.test(trimmed) && trimmed !== 'NaN') return fail('must be a number')
      return { ok: true, value: trimmed }
    case 'float':
      if (SPECIAL_FLOATS.includes(trimmed)) return { ok: true, value: trimmed }
      if (!DECIMAL.test(trimmed)) return fail('must be a number')
      return { ok: true, value: Number(trimmed) }
    case 'boolean':
      if (trimmed === 'true') return { ok: true, value: true }
      if (trimmed === 'false') return { ok: true, value: false }
      return fail('must be true or false')
    case 'json':
    case 'array': {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (e) {
        return fail(`is not valid JSON (${e instanceof Error ? e.message : 'parse error'})`)
      }
      if (editorKind(col) === 'array' && !Array.isArray(parsed)) return fail('must be a JSON array, e.g. ["a", "b"]')
      // The text as typed, so big numbers inside are not rounded by a round trip through JavaScript.
      return { ok: true, value: new JsonText(text.trim()) }
    }
    case 'enum':
      if (!col.enum_values?.includes(text)) return fail(`must be one of ${col.enum_values?.join(', ')}`)
      return { ok: true, value: text }
    case 'date':
      if (!DATE.test(trimmed) && !/^-?infinity$/.test(trimmed)) return fail('must be a date, YYYY-MM-DD')
      return { ok: true, value: trimmed }
    case 'time':
      if (!TIME.test(trimmed)) return fail('must be a time, HH:MM[:SS]')
      return { ok: true, value: trimmed }
    case 'timestamp':
      if (!TIMESTAMP.test(trimmed) && !/^-?infinity$/.test(trimmed)) {
        return fail('must be a timestamp, YYYY-MM-DD HH:MM[:SS][+TZ]')
      }
      return { ok: true, value: trimmed }
    case 'uuid':
      if (!UUID.test(trimmed)) return fail('must be a UUID')
      return { ok: true, value: trimmed }
    case 'bytea':
      if (!BYTEA.test(trimmed)) return fail('must be hex bytes written \\x… (e.g. \\xdeadbeef)')
      return { ok: true, value: trimmed }
  }
}

/** A cell as the grid shows it: NULL apart (and marked), JSON compact, the empty string visible. */
export function cellDisplay(value: unknown): { text: string; kind: 'null' | 'empty' | 'value' } {
  if (value === null || value === undefined) return { text: 'NULL', kind: 'null' }
  if (value === '') return { text: 'EMPTY', kind: 'empty' }
  if (typeof value === 'string') return { text: value, kind: 'value' }
  if (typeof value === 'object') return { text: JSON.stringify(value), kind: 'value' }
  return { text: String(value), kind: 'value' }
}

/** Whether a column takes its value from the database only (generated, or identity the editor may not set). */
export function isGeneratedOnly(col: Pick<RowColumn, 'identity' | 'generated' | 'updatable'>): boolean {
  return col.generated === true || (col.identity === true && !col.updatable)
}
