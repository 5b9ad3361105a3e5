// A small SQL tokenizer for the editor's highlighting, and the mapping of PostgreSQL's error
// position (1-based, in characters) onto the editor's text (UTF-16 code units).

export type TokenKind = 'keyword' | 'string' | 'number' | 'comment' | 'identifier' | 'quoted' | 'param' | 'operator' | 'space'

export interface Token {
  kind: TokenKind
  /** Offset in the text, in UTF-16 code units. */
  start: number
  end: number
}

// The words people write most; anything else reads as an identifier.
const KEYWORDS = new Set(
  `select from where and or not null is in as on join left right inner outer full cross natural using
group by order having limit offset union all intersect except distinct case when then else end
insert into values update set delete returning create table view index drop alter add column
primary key foreign references unique check default constraint if exists cascade restrict
begin commit rollback transaction with recursive explain analyze asc desc nulls first last
true false like ilike between similar to cast schema grant revoke lateral over partition window
filter materialized sequence function returns language trigger for each row execute do nothing
conflict vacuum truncate only some any array interval time timestamp date boolean integer bigint
smallint text varchar char numeric real double precision serial bigserial json jsonb uuid`.split(/\s+/),
)

function isIdentStart(c: string): boolean {
  return /[A-Za-z_\u0080-\uffff]/.test(c)
}

function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_$\u0080-\uffff]/.test(c)
}

/** Splits `text` into tokens that cover it exactly, end to end. Unterminated strings and block
 * comments run to the end of the text (as they do while being typed). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  const n = text.length
  let i = 0
  const push = (kind: TokenKind, start: number, end: number) => {
    const last = tokens[tokens.length - 1]
    if (last && last.kind === kind && (kind === 'space' || kind === 'operator') && last.end === start) last.end = end
    else tokens.push({ kind, start, end })
  }
  while (i < n) {
    const c = text[i]!
    const next = text[i + 1] ?? ''
    const start = i
    if (c === '-' && next === '-') {
      const eol = text.indexOf('\n', i)
      i = eol === -1 ? n : eol
      push('comment', start, i)
    } else if (c === '/' && next === '*') {
      // PostgreSQL's block comments nest.
      let depth = 1
      i += 2
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++
          i += 2
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--
          i += 2
        } else i++
      }
      push('comment', start, i)
    } else if (c === "'" || ((c === 'E' || c === 'e') && next === "'")) {
      const escapes = c !== "'"
      i += escapes ? 2 : 1
      while (i < n) {
        if (escapes && text[i] === '\\') i += 2
        else if (text[i] === "'") {
          if (text[i + 1] === "'") i += 2
          else {
            i++
            break
          }
        } else i++
      }
      push('string', start, Math.min(i, n))
      i = Math.min(i, n)
    } else if (c === '$' && /[0-9]/.test(next)) {
      i++
      while (i < n && /[0-9]/.test(text[i]!)) i++
      push('param', start, i)
    } else if (c === '$') {
      // Dollar quoting: $$…$$ or $tag$…$tag$.
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length)
        i = close === -1 ? n : close + m[0].length
        push('string', start, i)
      } else {
        i++
        push('operator', start, i)
      }
    } else if (c === '"') {
      i++
      while (i < n) {
        if (text[i] === '"') {
          if (text[i + 1] === '"') i += 2
          else {
            i++
            break
          }
        } else i++
      }
      push('quoted', start, i)
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) {
      const m = /^(?:0[xX][0-9a-fA-F_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i))
      i += Math.max(1, m ? m[0].length : 1)
      push('number', start, i)
    } else if (isIdentStart(c)) {
      i++
      while (i < n && isIdentPart(text[i]!)) i++
      push(KEYWORDS.has(text.slice(start, i).toLowerCase()) ? 'keyword' : 'identifier', start, i)
    } else if (/\s/.test(c)) {
      i++
      while (i < n && /\s/.test(text[i]!)) i++
      push('space', start, i)
    } else {
      i++
      push('operator', start, i)
    }
  }
  return tokens
}

/**
 * The UTF-16 range of `text` that PostgreSQL's error `position` (1-based, counted in characters,
 * i.e. code points) points at: the token starting there, or the one character if it starts none.
 * `null` when there is no position or it lies outside the text.
 */
export function errorRange(text: string, position: number | null | undefined): { start: number; end: number } | null {
  if (!position || position < 1 || !Number.isFinite(position)) return null
  // Walk code points: characters outside the BMP are two code units but one character.
  let offset = 0
  let chars = 1
  while (chars < position && offset < text.length) {
    const code = text.codePointAt(offset)!
    offset += code > 0xffff ? 2 : 1
    chars++
  }
  if (chars < position) return null
  if (offset >= text.length) {
    // Past the end (e.g. an unexpected end of input): mark the last character.
    return text.length === 0 ? null : { start: text.length - 1, end: text.length }
  }
  const token = tokenize(text).find((t) => t.start <= offset && offset < t.end)
  if (token && token.start === offset && token.kind !== 'space') return { start: token.start, end: token.end }
  const width = text.codePointAt(offset)! > 0xffff ? 2 : 1
  return { start: offset, end: offset + width }
}

/** The line (1-based) and column (1-based, in characters) of a UTF-16 offset, for the message. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const lineStart = before.lastIndexOf('\n') + 1
  return { line, column: Array.from(text.slice(lineStart, offset)).length + 1 }
}

/** A cell of a result for the grid: NULL apart, JSON compact, everything else as text. */
export function cellText(value: unknown): { text: string; isNull: boolean } {
  if (value === null || value === undefined) return { text: 'NULL', isNull: true }
  if (typeof value === 'string') return { text: value, isNull: false }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return { text: String(value), isNull: false }
  }
  return { text: JSON.stringify(value), isNull: false }
}
