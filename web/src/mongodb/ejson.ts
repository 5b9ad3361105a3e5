// Extended JSON text as the server sends it, read without losing anything:
//
// - a strict JSON parser that says where a mistake is by line and column and, with
//   `preserveNumbers`, keeps integers past 2^53 as `{"$numberLong": …}` and whole doubles written
//   `1.0` as `{"$numberDouble": "1.0"}` (JavaScript numbers would round or retype them);
// - helpers that work on the text itself (pretty printing, slicing out a member or the elements of
//   an array) so the JSON view and the editor show exactly what the server sent, digit for digit and
//   in its field order (a JavaScript object would move integer-like field names to the front);
// - showing typed values compactly (`ObjectId('…')`, dates, decimals).
// Reading what people type (strict or shell syntax) into canonical Extended JSON is `./shell`.

export type Json = null | boolean | number | string | Json[] | JsonObject
export interface JsonObject {
  [key: string]: Json
}

/** Where and why a text is not acceptable; `line` and `column` are 1-based. */
export interface JsonProblem {
  message: string
  offset: number
  line: number
  column: number
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: JsonProblem }

export interface ParseOptions {
  /** Keep 64-bit integers and whole doubles exact, as Extended JSON wrappers (for server answers). */
  preserveNumbers?: boolean
}

class Failure {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/** Line and column (1-based, in UTF-16 code units as an editor counts them) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  const end = Math.min(offset, text.length)
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: end - lineStart + 1 }
}

/** "Line 3, column 7: …" */
export function describeProblem(p: JsonProblem): string {
  return `Line ${p.line}, column ${p.column}: ${p.message}`
}

function describeChar(c: string | undefined): string {
  if (c === undefined) return 'the end of the text'
  if (c === '\n') return 'a line break'
  if (c.trim() === '') return 'a space'
  return `"${c}"`
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

class Parser {
  pos = 0
  private depth = 0

  constructor(
    private readonly text: string,
    private readonly options: ParseOptions,
  ) {}

  fail(message: string, at = this.pos): never {
    throw new Failure(message, at)
  }

  ws(): void {
    const t = this.text
    let p = this.pos
    while (p < t.length) {
      const c = t.charCodeAt(p)
      if (c === 32 || c === 9 || c === 10 || c === 13) p++
      else break
    }
    this.pos = p
  }

  /** Fails at the current position. */
  unexpected(expected: string): never {
    const c = this.text[this.pos]
    if (c === undefined) this.fail(`The text ends where ${expected} was expected`)
    this.fail(`Unexpected ${describeChar(c)} where ${expected} was expected`)
  }

  value(): Json {
    this.ws()
    const c = this.text[this.pos]
    switch (c) {
      case '{':
        return this.object()
      case '[':
        return this.array()
      case '"':
        return this.string()
      case 't':
        return this.literal('true', true)
      case 'f':
        return this.literal('false', false)
      case 'n':
        return this.literal('null', null)
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number()
        return this.unexpected('a value')
    }
  }

  literal(word: string, value: boolean | null): boolean | null {
    if (!this.text.startsWith(word, this.pos)) this.unexpected('a value')
    this.pos += word.length
    return value
  }

  object(): JsonObject {
    const start = this.pos
    this.pos++
    this.depth++
    const obj: JsonObject = {}
    this.ws()
    if (this.text[this.pos] === '}') {
      this.pos++
      this.depth--
      return obj
    }
    let commaAt = -1
    for (;;) {
      this.ws()
      const keyAt = this.pos
      const c = this.text[this.pos]
      if (c !== '"') {
        if (c === '}' && commaAt >= 0) this.fail("JSON allows no comma before '}'", commaAt)
        this.unexpected('a field name in double quotes')
      }
      const key = this.string()
      if (Object.hasOwn(obj, key)) this.fail(`The field "${key}" appears twice in this object`, keyAt)
      this.ws()
      if (this.text[this.pos] !== ':') this.unexpected(`':' after "${key}"`)
      this.pos++
      this.ws()
      // defineProperty, not assignment: a field named __proto__ must stay a field.
      Object.defineProperty(obj, key, { value: this.value(), enumerable: true, writable: true, configurable: true })
      this.ws()
      const next = this.text[this.pos]
      if (next === ',') {
        commaAt = this.pos
        this.pos++
        continue
      }
      if (next === '}') {
        this.pos++
        break
      }
      if (next === undefined) {
        const open = lineColumn(this.text, start)
        this.fail(`The object opened at line ${open.line}, column ${open.column} is never closed: a '}' is missing`)
      }
      if (next === '"') this.fail("A ',' is missing between two fields")
      this.unexpected("',' or '}' after a value")
    }
    this.depth--
    return obj
  }

  array(): Json[] {
    const start = this.pos
    this.pos++
    this.depth++
    const out: Json[] = []
    this.ws()
    if (this.text[this.pos] === ']') {
      this.pos++
      this.depth--
      return out
    }
    let commaAt = -1
    for (;;) {
      this.ws()
      if (this.text[this.pos] === ']' && commaAt >= 0) this.fail("JSON allows no comma before ']'", commaAt)
      out.push(this.value())
      this.ws()
      const next = this.text[this.pos]
      if (next === ',') {
        commaAt = this.pos
        this.pos++
        continue
      }
      if (next === ']') {
        this.pos++
        break
      }
      if (next === undefined) {
        const open = lineColumn(this.text, start)
        this.fail(`The array opened at line ${open.line}, column ${open.column} is never closed: a ']' is missing`)
      }
      if (next === '{' || next === '"' || next === '[') this.fail("A ',' is missing between two elements")
      this.unexpected("',' or ']' after an element")
    }
    this.depth--
    return out
  }

  string(): string {
    const t = this.text
    const start = this.pos
    let p = start + 1
    let out = ''
    let chunk = p
    for (;;) {
      if (p >= t.length) this.fail('This string is never closed: a \'"\' is missing', start)
      const c = t.charCodeAt(p)
      if (c === 0x22) {
        out += t.slice(chunk, p)
        this.pos = p + 1
        return out
      }
      if (c === 0x5c) {
        out += t.slice(chunk, p)
        const e = t[p + 1]
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e]
          p += 2
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(p + 2, p + 6))) {
          out += String.fromCharCode(parseInt(t.slice(p + 2, p + 6), 16))
          p += 6
        } else {
          this.fail(`"\\${e ?? ''}" is not an escape JSON knows (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`, p)
        }
        chunk = p
        continue
      }
      if (c < 0x20) {
        this.fail(c === 10 ? 'A string cannot span lines: write a line break as \\n, or close the string' : 'A control character in a string must be escaped', p)
      }
      p++
    }
  }

  number(): Json {
    NUMBER.lastIndex = this.pos
    const m = NUMBER.exec(this.text)
    if (!m) this.fail("A '-' must be followed by digits")
    const raw = m[0]
    const after = this.text[this.pos + raw.length]
    if (after !== undefined && /[0-9.eE+-]/.test(after)) {
      const bad = /^[-+0-9.eE]+/.exec(this.text.slice(this.pos, this.pos + 40))?.[0] ?? raw
      this.fail(`${bad} is not a JSON number${/^-?0\d/.test(bad) ? ' (no leading zeros)' : ''}`)
    }
    this.pos += raw.length
    const n = Number(raw)
    if (this.options.preserveNumbers) {
      const integer = !/[.eE]/.test(raw)
      if (integer && !Number.isSafeInteger(n)) {
        const big = BigInt(raw)
        if (big >= INT64_MIN && big <= INT64_MAX) return { $numberLong: raw }
      }
      if (!integer && Number.isInteger(n)) return { $numberDouble: raw }
    }
    return n
  }
}

function problemAt(text: string, message: string, offset: number): JsonProblem {
  return { message, offset, ...lineColumn(text, offset) }
}

/** Parses one JSON value (and nothing after it). */
export function parseJson(text: string, options: ParseOptions = {}): Checked<Json> {
  const parser = new Parser(text, options)
  try {
    const value = parser.value()
    parser.ws()
    if (parser.pos < text.length) parser.fail('Unexpected text after the end of the value')
    return { ok: true, value }
  } catch (e) {
    if (e instanceof Failure) return { ok: false, problem: problemAt(text, e.message, e.offset) }
    throw e
  }
}

// ---- Working on the text itself -------------------------------------------------------------
// These take JSON the server produced (so it is valid) and never build values for what they skip.

class Scanner {
  pos = 0
  constructor(readonly text: string) {}

  ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++
  }

  skipString(): void {
    const t = this.text
    let p = this.pos + 1
    while (p < t.length) {
      const c = t.charCodeAt(p)
      if (c === 0x5c) p += 2
      else if (c === 0x22) {
        this.pos = p + 1
        return
      } else p++
    }
    throw new Failure('unterminated string', this.pos)
  }

  skipValue(): void {
    this.ws()
    const t = this.text
    const c = t[this.pos]
    if (c === '"') return this.skipString()
    if (c === '{' || c === '[') {
      let depth = 0
      while (this.pos < t.length) {
        const ch = t.charCodeAt(this.pos)
        if (ch === 0x22) {
          this.skipString()
          continue
        }
        if (ch === 0x7b || ch === 0x5b) depth++
        else if (ch === 0x7d || ch === 0x5d) {
          depth--
          if (depth === 0) {
            this.pos++
            return
          }
        }
        this.pos++
      }
      throw new Failure('unterminated value', this.pos)
    }
    const start = this.pos
    while (this.pos < t.length && !',}] \t\n\r'.includes(t[this.pos]!)) this.pos++
    if (this.pos === start) throw new Failure('no value', start)
  }

  expect(c: string): void {
    this.ws()
    if (this.text[this.pos] !== c) throw new Failure(`expected ${c}`, this.pos)
    this.pos++
  }
}

/** The text of the member `key` of the object `text`, as it is written there; undefined if absent. */
export function rawMember(text: string, key: string): string | undefined {
  const s = new Scanner(text)
  try {
    s.expect('{')
    s.ws()
    if (text[s.pos] === '}') return undefined
    for (;;) {
      s.ws()
      const keyStart = s.pos
      s.skipString()
      const name = JSON.parse(text.slice(keyStart, s.pos)) as string
      s.expect(':')
      s.ws()
      const start = s.pos
      s.skipValue()
      if (name === key) return text.slice(start, s.pos)
      s.ws()
      if (text[s.pos] !== ',') return undefined
      s.pos++
    }
  } catch (e) {
    if (e instanceof Failure || e instanceof SyntaxError) return undefined
    throw e
  }
}

/** The text of each element of the array `text`, as written there. */
export function rawElements(text: string): string[] {
  const s = new Scanner(text)
  const out: string[] = []
  s.expect('[')
  s.ws()
  if (text[s.pos] === ']') return out
  for (;;) {
    s.ws()
    const start = s.pos
    s.skipValue()
    out.push(text.slice(start, s.pos))
    s.ws()
    if (text[s.pos] !== ',') return out
    s.pos++
  }
}

/**
 * Valid JSON text re-indented, token for token (numbers, escapes and field order stay as written).
 * Stops once the output passes `limit` characters, so a 5 MB document costs only what is shown.
 */
export function prettyJson(text: string, limit = Infinity, indent = '  '): { text: string; complete: boolean } {
  const out: string[] = []
  let size = 0
  let depth = 0
  const push = (s: string) => {
    out.push(s)
    size += s.length
  }
  const newline = () => push('\n' + indent.repeat(depth))
  let i = 0
  const t = text
  while (i < t.length) {
    if (size > limit) return { text: out.join(''), complete: false }
    const c = t[i]!
    if (c === '"') {
      let j = i + 1
      while (j < t.length) {
        const d = t.charCodeAt(j)
        if (d === 0x5c) j += 2
        else if (d === 0x22) break
        else j++
      }
      push(t.slice(i, j + 1))
      i = j + 1
      continue
    }
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
      i++
      continue
    }
    if (c === '{' || c === '[') {
      let j = i + 1
      while (j < t.length && ' \n\r\t'.includes(t[j]!)) j++
      const close = c === '{' ? '}' : ']'
      if (t[j] === close) {
        push(c + close)
        i = j + 1
        continue
      }
      push(c)
      depth++
      newline()
    } else if (c === '}' || c === ']') {
      depth--
      newline()
      push(c)
    } else if (c === ',') {
      push(',')
      newline()
    } else if (c === ':') {
      push(': ')
    } else {
      let j = i
      while (j < t.length && !',:{}[]" \n\r\t'.includes(t[j]!)) j++
      push(t.slice(i, j))
      i = j
      continue
    }
    i++
  }
  return { text: out.join(''), complete: true }
}

// ---- Showing values compactly ---------------------------------------------------------------

const TYPE_KEYS = new Set([
  '$oid', '$date', '$numberLong', '$numberInt', '$numberDouble', '$numberDecimal', '$binary', '$uuid',
  '$timestamp', '$regularExpression', '$minKey', '$maxKey', '$symbol', '$code', '$undefined',
])

/** The type-wrapper key of an Extended JSON value object (`$oid`, `$date`, …), if it is a well-formed one. */
function wrapper(v: JsonObject): string | null {
  const keys = Object.keys(v)
  const first = keys[0]
  if (first === undefined || !TYPE_KEYS.has(first)) return null
  // A type wrapper stands alone (`$code` may carry `$scope`, legacy `$binary` its `$type`).
  const extra = keys.length === 1 || (keys.length === 2 && (keys[1] === '$scope' || keys[1] === '$type'))
  return extra ? first : null
}

function base64Bytes(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0
  return Math.floor((b64.length * 3) / 4) - pad
}

/** A typed value as a person reads it (`ObjectId('…')`, a date, a number), or null for plain JSON. */
export function typedText(v: JsonObject): string | null {
  const w = wrapper(v)
  switch (w) {
    case '$oid':
      return `ObjectId('${String(v.$oid)}')`
    case '$date': {
      const d = v.$date
      if (typeof d === 'string') return d
      const ms = typeof d === 'number' ? d : isObject(d) ? Number(d.$numberLong) : NaN
      const date = new Date(ms)
      return Number.isNaN(date.getTime()) ? `Date(${String(ms)})` : date.toISOString()
    }
    case '$numberLong':
    case '$numberInt':
    case '$numberDouble':
      return String(v[w])
    case '$numberDecimal':
      return `${String(v.$numberDecimal)} (decimal)`
    case '$binary': {
      const b = v.$binary
      const base64 = isObject(b) ? String(b.base64) : String(b)
      const sub = isObject(b) ? String(b.subType) : String(v.$type)
      return `Binary(${base64Bytes(base64)} bytes, subtype ${sub})`
    }
    case '$uuid':
      return `UUID('${String(v.$uuid)}')`
    case '$timestamp': {
      const ts = v.$timestamp
      return isObject(ts) ? `Timestamp(${String(ts.t)}, ${String(ts.i)})` : null
    }
    case '$regularExpression': {
      const r = v.$regularExpression
      return isObject(r) ? `/${String(r.pattern)}/${String(r.options)}` : null
    }
    case '$minKey':
      return 'MinKey'
    case '$maxKey':
      return 'MaxKey'
    case '$symbol':
      return String(v.$symbol)
    case '$code':
      return `Code(${String(v.$code)})`
    case '$undefined':
      return 'undefined'
    default:
      return null
  }
}

/**
 * A value on one line, at most about `budget` characters (`…` marks a cut): typed values as
 * `typedText` reads them, objects `{ a: 1, b: "x" }`. Never walks more of a big value than it shows.
 */
export function compactText(value: Json, budget = 200): string {
  let out = ''
  let cut = false
  const put = (s: string) => {
    if (cut) return
    if (out.length + s.length > budget) {
      out += s.slice(0, Math.max(0, budget - out.length))
      cut = true
    } else out += s
  }
  const walk = (v: Json) => {
    if (cut) return
    if (v === null || typeof v === 'boolean' || typeof v === 'number') return put(String(v))
    if (typeof v === 'string') return put(JSON.stringify(v.length > budget ? v.slice(0, budget) : v))
    if (Array.isArray(v)) {
      put('[')
      v.forEach((item, i) => {
        if (i > 0) put(', ')
        walk(item)
      })
      return put(']')
    }
    const typed = typedText(v)
    if (typed !== null) return put(typed)
    const keys = Object.keys(v)
    if (keys.length === 0) return put('{}')
    put('{ ')
    keys.forEach((k, i) => {
      if (i > 0) put(', ')
      put(/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k))
      put(': ')
      walk(v[k]!)
    })
    put(' }')
  }
  walk(value)
  return cut ? out + '…' : out
}

/** A short name of a value's type, for a cell's class and tooltip. */
export function typeName(v: Json | undefined): string {
  if (v === undefined) return 'missing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'object') {
    const w = wrapper(v)
    return w ? w.slice(1).replace(/^number/, '').toLowerCase() : 'object'
  }
  return typeof v
}

// ---- Documents ------------------------------------------------------------------------------

/** A document as the pages hold it: its value for the table, its exact text for JSON and editing. */
export interface RawDocument {
  value: Json
  /** The document as the server wrote it (compact relaxed Extended JSON). */
  text: string
  /** Its `{id}` path segment (24 hex digits for an ObjectId, else the `_id` as JSON), or null without `_id`. */
  id: string | null
}

/** The `{id}` path segment the API reads for a document's `_id`. */
export function idSegment(value: Json, text: string): string | null {
  if (!isObject(value) || !Object.hasOwn(value, '_id')) return null
  const id = value._id
  if (isObject(id) && Object.keys(id).length === 1 && typeof id.$oid === 'string') return id.$oid
  return rawMember(text, '_id') ?? null
}

/** The documents of an array of documents the server sent (`[{…}, …]`). */
export function documentsOf(arrayText: string): RawDocument[] {
  return rawElements(arrayText).map((text) => {
    const parsed = parseJson(text, { preserveNumbers: true })
    const value = parsed.ok ? parsed.value : null
    return { value, text, id: idSegment(value, text) }
  })
}

/** The top-level fields of some documents, in order of first appearance, `_id` first, at most `max`. */
export function fieldsOf(docs: Json[], max = 40): { fields: string[]; more: number } {
  const seen = new Set<string>()
  for (const d of docs) if (isObject(d)) for (const k of Object.keys(d)) seen.add(k)
  const all = [...seen]
  const ordered = all.includes('_id') ? ['_id', ...all.filter((k) => k !== '_id')] : all
  return { fields: ordered.slice(0, max), more: Math.max(0, ordered.length - max) }
}

/** Whether two values are the same (field order included, as MongoDB compares documents). */
export function sameValue(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
