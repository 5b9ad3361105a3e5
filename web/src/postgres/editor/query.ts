// The rows API's query language as the Table Editor builds it: filters (`col.op[.value]`) and
// sorts (`col.asc|desc[.nullsfirst|.nullslast]`), to and from the URL, so a filtered view (a
// followed foreign key, too) is a link the browser's Back button returns to.

export const FILTER_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'like', 'ilike', 'in', 'is', 'null', 'notnull'] as const
export type FilterOp = (typeof FILTER_OPS)[number]

/** What each operator reads as in the filter builder. */
export const OP_LABELS: Record<FilterOp, string> = {
  eq: '=',
  neq: '≠',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  like: 'like',
  ilike: 'ilike (any case)',
  in: 'in list',
  is: 'is',
  null: 'is NULL',
  notnull: 'is not NULL',
}

/** Operators that take no value. */
export function opTakesValue(op: FilterOp): boolean {
  return op !== 'null' && op !== 'notnull'
}

export interface Filter {
  column: string
  op: FilterOp
  /** The value as typed; for `in`, one item per line; for `is`, null, true or false. */
  value: string
}

export type SortDir = 'asc' | 'desc'
export interface Sort {
  column: string
  dir: SortDir
  nulls?: 'nullsfirst' | 'nullslast'
}

/** An item of an `in` list, double-quoted when it holds a separator, a quote or edge spaces. */
function listItem(item: string): string {
  if (item !== '' && !/[,()"\\]/.test(item) && item.trim() === item) return item
  return `"${item.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** `(a,b,"c,d")` from items. */
export function formatInList(items: string[]): string {
  return `(${items.map(listItem).join(',')})`
}

/** The items of `(a,b,"c,d")`; null when the text is not such a list. */
export function parseInList(text: string): string[] | null {
  if (!text.startsWith('(') || !text.endsWith(')')) return null
  const body = text.slice(1, -1)
  if (body === '') return []
  const items: string[] = []
  let i = 0
  for (;;) {
    let item = ''
    if (body[i] === '"') {
      i++
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++
        item += body[i] ?? ''
        i++
      }
      if (body[i] !== '"') return null
      i++
    } else {
      while (i < body.length && body[i] !== ',') item += body[i++]
    }
    items.push(item)
    if (i >= body.length) return items
    if (body[i] !== ',') return null
    i++
  }
}

/** The `filter=` parameter of a filter; null when it is not complete (an `is` without a valid value). */
export function filterParam(f: Filter): string | null {
  if (!f.column) return null
  if (!opTakesValue(f.op)) return `${f.column}.${f.op}`
  if (f.op === 'in') {
    // A trailing newline of the text box is not an item.
    const text = f.value.replace(/\n+$/, '')
    const items = text === '' ? [] : text.split('\n')
    return `${f.column}.in.${formatInList(items)}`
  }
  if (f.op === 'is' && !['null', 'true', 'false'].includes(f.value)) return null
  return `${f.column}.${f.op}.${f.value}`
}

/** A filter from its parameter (column names may hold dots: the first `.op` that fits splits). */
export function parseFilter(param: string): Filter | null {
  for (let at = param.indexOf('.'); at > 0; at = param.indexOf('.', at + 1)) {
    const rest = param.slice(at + 1)
    const dot = rest.indexOf('.')
    const op = (dot === -1 ? rest : rest.slice(0, dot)) as FilterOp
    if (!FILTER_OPS.includes(op)) continue
    const column = param.slice(0, at)
    if (!opTakesValue(op)) {
      if (dot === -1) return { column, op, value: '' }
      continue
    }
    if (dot === -1) continue
    const value = rest.slice(dot + 1)
    if (op === 'in') {
      const items = parseInList(value)
      if (items === null) continue
      return { column, op, value: items.join('\n') }
    }
    return { column, op, value }
  }
  return null
}

export function orderParam(s: Sort): string {
  return `${s.column}.${s.dir}${s.nulls ? `.${s.nulls}` : ''}`
}

export function parseOrder(param: string): Sort | null {
  const m = /^(.+)\.(asc|desc)(?:\.(nullsfirst|nullslast))?$/.exec(param)
  if (!m) return null
  return { column: m[1]!, dir: m[2] as SortDir, ...(m[3] ? { nulls: m[3] as Sort['nulls'] } : {}) }
}

/** A click on a header: ascending, then descending, then unsorted; another column starts over. */
export function nextSort(current: Sort[], column: string): Sort[] {
  const now = current.find((s) => s.column === column)
  if (!now) return [{ column, dir: 'asc' }]
  if (now.dir === 'asc') return [{ column, dir: 'desc' }]
  return []
}

/** The filter that opens the row a foreign-key value points at. */
export function foreignKeyFilter(column: string, value: unknown): string {
  if (value === null || value === undefined) return `${column}.null`
  return `${column}.eq.${typeof value === 'string' ? value : JSON.stringify(value)}`
}
