// What people type into filters, projections, sorts, pipelines, documents and index keys, read into
// the canonical Extended JSON the API takes.
//
// Two spellings are accepted and give the same text for the same values:
// - strict Extended JSON (`{"_id": {"$oid": "…"}}`), read with `parseJson` so 64-bit integers and
//   whole doubles (`1.0`) keep their exact value and type, then handed to `bson`'s EJSON;
// - the shell syntax people paste from mongosh or Compass (unquoted keys, single quotes, trailing
//   commas, `ObjectId(…)`, `ISODate(…)`, `NumberLong(…)`, …), read by `mongodb-query-parser`, which
//   parses it as an expression and builds BSON values without evaluating any JavaScript.
// Both end as `EJSON.stringify(…, {relaxed: false})`, so every value carries its type and the server
// never has to guess. In shell syntax, as in mongosh, a whole number is an integer: write
// `Double(1)` or `{"$numberDouble": "1.0"}` for a double.
import { EJSON } from 'bson'
import { parseFilter } from 'mongodb-query-parser'
import { lineColumn, parseJson, sameValue, typeName, type Checked, type Json, type JsonObject, type JsonProblem } from './ejson'

/** A text read: the canonical Extended JSON to send, and its value (wrappers as plain objects). */
export interface Read<T extends Json = Json> {
  ejson: string
  value: T
}

function problemAt(text: string, message: string, offset: number): JsonProblem {
  return { message, offset, ...lineColumn(text, offset) }
}

function fail<T>(text: string, message: string, offset = 0): Checked<T> {
  return { ok: false, problem: problemAt(text, message, offset) }
}

/** Dates must be real dates: bson's EJSON reads `{"$date": "nonsense"}` as an invalid Date. */
function invalidDate(v: unknown, depth = 0): boolean {
  if (depth > 200) return false
  if (v instanceof Date) return Number.isNaN(v.getTime())
  if (Array.isArray(v)) return v.some((x) => invalidDate(x, depth + 1))
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v as Record<string, unknown>).some((x) => invalidDate(x, depth + 1))
  }
  return false
}

/** The shell parser's message without the wrapper it parsed inside, and where it points. */
function shellProblem(text: string, e: unknown): JsonProblem {
  const err = e as { message?: unknown; loc?: { line?: unknown; column?: unknown } }
  const raw = typeof err.message === 'string' ? err.message : String(e)
  const message = raw.replace(/\s*\(\d+:\d+\)\s*in\s*\([\s\S]*$/, '').replace(/\s+in\s+\([\s\S]*$/, '')
  const line = typeof err.loc?.line === 'number' ? err.loc.line : undefined
  const column = typeof err.loc?.column === 'number' ? err.loc.column : undefined
  if (line === undefined || column === undefined) return problemAt(text, message, 0)
  // The parser reads `(\n<text>\n)`: its line 2 is the text's line 1.
  const lines = text.split('\n')
  const row = Math.min(Math.max(line - 2, 0), lines.length - 1)
  const offset = lines.slice(0, row).reduce((n, l) => n + l.length + 1, 0) + Math.min(column, lines[row]!.length)
  return problemAt(text, message, offset)
}

/** BSON values (from either reader) as canonical Extended JSON, checked. */
function canonical(text: string, values: unknown): Checked<Read> {
  if (invalidDate(values)) return fail(text, 'A date here is not a valid date; write it like ISODate("2026-01-01T00:00:00Z")')
  try {
    // Stringify, read back and stringify again: `{$oid: "…"}` written inside shell syntax becomes
    // the same ObjectId as `ObjectId("…")`.
    const once = EJSON.stringify(values as never, { relaxed: false })
    const parsed = EJSON.parse(once, { relaxed: false })
    if (invalidDate(parsed)) return fail(text, 'A date here is not a valid date; write it like {"$date": "2026-01-01T00:00:00Z"}')
    const ejson = EJSON.stringify(parsed as never, { relaxed: false })
    return { ok: true, value: { ejson, value: JSON.parse(ejson) as Json } }
  } catch (e) {
    return fail(text, e instanceof Error ? e.message : String(e))
  }
}

/** Reads one value in strict Extended JSON or shell syntax; never evaluates the text. */
export function readValue(text: string): Checked<Read> {
  if (text.trim() === '') return fail(text, 'Empty: write a value, such as {}')
  const strict = parseJson(text, { preserveNumbers: true })
  // JavaScript would keep the last of two equal field names; MongoDB would store both.
  if (!strict.ok && strict.problem.message.includes('appears twice')) return strict
  if (strict.ok) {
    try {
      return canonical(text, EJSON.parse(JSON.stringify(strict.value), { relaxed: false }))
    } catch (e) {
      return fail(text, e instanceof Error ? e.message : String(e))
    }
  }
  let parsed: unknown
  try {
    parsed = parseFilter(text)
  } catch (e) {
    return { ok: false, problem: shellProblem(text, e) }
  }
  // The parser answers '' for what it refuses (a function call, a variable): never run.
  if (parsed === '' || parsed === undefined) {
    return fail(text, 'Only values are allowed here: literals and the shell types ObjectId(…), ISODate(…), NumberLong(…), NumberDecimal(…), …')
  }
  return canonical(text, parsed)
}

/** A document (an object that is not a type wrapper like `{"$numberInt": "5"}`). */
function isObject(v: Json | undefined): v is JsonObject {
  return typeName(v) === 'object'
}

function kind(v: Json): string {
  const type = typeName(v)
  if (type === 'null') return 'null'
  if (type === 'array') return 'an array'
  if (type === 'object') return 'an object'
  if (['int', 'long', 'double', 'decimal'].includes(type)) return 'a number'
  return `a ${type}`
}

/** A filter, projection, sort, validator or key pattern: an object. */
export function checkObject(text: string, what = 'an object'): Checked<Read<JsonObject>> {
  if (text.trim() === '') return fail(text, `Empty: write ${what}, such as {}`)
  const read = readValue(text)
  if (!read.ok) return read
  if (!isObject(read.value.value)) return fail(text, `This must be ${what} in braces {…}, not ${kind(read.value.value)}`)
  return read as Checked<Read<JsonObject>>
}

/** An optional query part: empty is no constraint, anything else an object. */
export function checkOptional(text: string): Checked<Read<JsonObject> | null> {
  return text.trim() === '' ? { ok: true, value: null } : checkObject(text)
}

/** A document to insert or save: an object whose top-level field names do not start with `$`. */
export function checkDocument(text: string): Checked<Read<JsonObject>> {
  const checked = checkObject(text, 'a document')
  if (!checked.ok) return checked
  const operator = Object.keys(checked.value.value).find((k) => k.startsWith('$'))
  if (operator !== undefined) {
    return fail(
      text,
      `A document's top-level field names cannot start with "$" ("${operator}"): operators belong in queries and updates`,
      Math.max(0, text.indexOf(operator)),
    )
  }
  return checked
}

/**
 * An edited document before it replaces the stored one: as `checkDocument`, and an `_id`, if the
 * text has one, must be the original (canonical Extended JSON of it; MongoDB refuses a change).
 */
export function checkReplacement(text: string, originalId: Json | undefined): Checked<Read<JsonObject>> {
  const checked = checkDocument(text)
  if (!checked.ok || !Object.hasOwn(checked.value.value, '_id')) return checked
  if (sameValue(checked.value.value._id, originalId)) return checked
  return fail(
    text,
    'The _id of a stored document cannot change: put the original _id back (or remove the field), or insert a new document instead',
    Math.max(0, text.indexOf('_id')),
  )
}

/** The number a canonical numeric wrapper stands for, or null. */
export function numberOf(v: Json | undefined): number | null {
  if (typeof v === 'number') return v
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length !== 1) return null
  const text = v.$numberInt ?? v.$numberLong ?? v.$numberDouble ?? v.$numberDecimal
  return typeof text === 'string' ? Number(text) : null
}

const INDEX_TYPES = ['text', '2d', '2dsphere', 'hashed']

/** An index key pattern: fields with 1, -1 or an index type, in the order they are indexed. */
export function checkIndexKeys(text: string): Checked<Read<JsonObject>> {
  const checked = checkObject(text, 'a key pattern')
  if (!checked.ok) return checked
  const entries = Object.entries(checked.value.value)
  if (entries.length === 0) return fail(text, 'Name at least one field, like {email: 1}', Math.max(0, text.indexOf('{')))
  for (const [field, v] of entries) {
    const n = numberOf(v)
    if (!(n === 1 || n === -1 || (typeof v === 'string' && INDEX_TYPES.includes(v)))) {
      return fail(
        text,
        `"${field}" must be 1 (ascending), -1 (descending) or an index type (${INDEX_TYPES.join(', ')})`,
        Math.max(0, text.indexOf(field)),
      )
    }
  }
  return checked
}

/** An aggregation pipeline: an array of one-stage objects. */
export function checkPipeline(text: string): Checked<Read<JsonObject[]>> {
  if (text.trim() === '') return fail(text, 'Empty: write a pipeline, such as [{$match: {}}]')
  const read = readValue(text)
  if (!read.ok) return read
  const value = read.value.value
  if (!Array.isArray(value)) return fail(text, `A pipeline is an array of stages in brackets […], not ${kind(value)}`)
  for (const [i, stage] of value.entries()) {
    if (!isObject(stage)) return fail(text, `Stage ${i + 1} must be an object like {$match: {…}}, not ${kind(stage)}`)
    const names = Object.keys(stage)
    if (names.length !== 1 || !names[0]!.startsWith('$')) {
      return fail(text, `Stage ${i + 1} must have exactly one field, the stage name (like $match)`)
    }
  }
  return read as Checked<Read<JsonObject[]>>
}

/** The canonical Extended JSON value of a document's `_id` as the server sent it (relaxed). */
export function canonicalOf(value: Json | undefined): Json | undefined {
  if (value === undefined) return undefined
  const read = readValue(JSON.stringify(value))
  return read.ok ? read.value.value : undefined
}
