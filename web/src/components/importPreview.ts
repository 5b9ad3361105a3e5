// What the import wizards show before anything is sent: the first records of the chosen file (read
// from its first 64 KiB in the browser) and the type each column or field would get.

/** Records shown. */
export const PREVIEW_ROWS = 20
/** Bytes of the file read for the preview. */
export const PREVIEW_BYTES = 64 * 1024

/** A preview: column names, the inferred type of each, and the first rows as text. */
export interface Preview {
  columns: string[]
  types: string[]
  rows: string[][]
}

/** The CSV records of `text` (RFC 4180: quoted fields hold delimiters, quotes and line breaks); a
 * record cut off at the end of `text` is left out. */
export function csvRecords(text: string, delimiter = ',', limit = PREVIEW_ROWS + 1): string[][] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let quoted = false
  let i = 0
  while (i < text.length && records.length < limit) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i += 2
        continue
      }
      if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') {
      quoted = true
    } else if (c === delimiter) {
      record.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      record.push(field)
      if (record.length > 1 || record[0] !== '') records.push(record)
      record = []
      field = ''
    } else {
      field += c
    }
    i++
  }
  return records
}

/** The type a CSV field gets (the server's rules: integers, decimals, booleans, else text). */
export function csvType(value: string): string {
  if (value === '') return 'empty'
  if (/^-?(0|[1-9]\d*)$/.test(value)) return 'integer'
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) && !/^-?0\d/.test(value)) return 'double'
  if (value === 'true' || value === 'false') return 'boolean'
  return 'string'
}

/** One type for a column: the types of its non-empty values, merged. */
function merge(types: string[]): string {
  const seen = new Set(types.filter((t) => t !== 'empty'))
  if (seen.size === 0) return 'empty'
  if (seen.size === 1) return [...seen][0] ?? 'empty'
  if ([...seen].every((t) => t === 'integer' || t === 'double')) return 'double'
  return 'mixed'
}

/** A CSV file's preview: its header and first rows. */
export function previewCsv(head: string, delimiter = ','): Preview {
  const [columns = [], ...rows] = csvRecords(head, delimiter)
  const types = columns.map((_, c) => merge(rows.map((r) => csvType(r[c] ?? ''))))
  return { columns, types, rows }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') {
    const keys = Object.keys(value as object)
    const only = keys.length === 1 ? keys[0] : undefined
    if (only?.startsWith('$')) return only.slice(1)
    return 'object'
  }
  return typeof value
}

/** An NDJSON or JSON-array file's preview: the top-level fields of its first documents. */
export function previewJson(head: string): Preview {
  const trimmed = head.trimStart()
  const docs: unknown[] = []
  if (trimmed.startsWith('[')) {
    // A JSON array cut at 64 KiB: parse whole elements line by line where they are one per line.
    for (const line of trimmed.slice(1).split('\n')) {
      const text = line.trim().replace(/,$/, '').replace(/]$/, '')
      if (!text) continue
      try {
        docs.push(JSON.parse(text))
      } catch {
        break
      }
      if (docs.length >= PREVIEW_ROWS) break
    }
  } else {
    const lines = head.split('\n')
    for (const line of lines.slice(0, head.length >= PREVIEW_BYTES ? -1 : undefined)) {
      if (!line.trim()) continue
      try {
        docs.push(JSON.parse(line))
      } catch {
        docs.push({ '(unreadable line)': line.slice(0, 80) })
      }
      if (docs.length >= PREVIEW_ROWS) break
    }
  }
  const columns: string[] = []
  for (const doc of docs) {
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
      for (const key of Object.keys(doc)) if (!columns.includes(key)) columns.push(key)
    }
  }
  const rows = docs.map((doc) => columns.map((c) => cell((doc as Record<string, unknown>)?.[c])))
  const types = columns.map((c) =>
    [...new Set(docs.map((d) => ((d as Record<string, unknown>)?.[c] === undefined ? '' : jsonType((d as Record<string, unknown>)[c]))).filter(Boolean))].join(' | '),
  )
  return { columns, types, rows }
}

function cell(value: unknown): string {
  if (value === undefined) return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 59)}…` : text
}
