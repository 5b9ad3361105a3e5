import { describe, expect, it } from 'vitest'
import { cellText, errorRange, lineAndColumn, tokenize } from './sql'

function kinds(text: string): [string, string][] {
  return tokenize(text)
    .filter((t) => t.kind !== 'space')
    .map((t) => [t.kind, text.slice(t.start, t.end)])
}

describe('SQL tokenizer', () => {
  it('covers the text exactly, end to end', () => {
    const text = "SELECT a, 'x''y' -- c\nFROM t /* b */ WHERE n > 1.5e3"
    const tokens = tokenize(text)
    expect(tokens[0]!.start).toBe(0)
    expect(tokens[tokens.length - 1]!.end).toBe(text.length)
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!.start).toBe(tokens[i - 1]!.end)
  })

  it('tells keywords, identifiers, strings, numbers and comments apart', () => {
    expect(kinds("select Name, 'it''s' from users -- all\nwhere id = 42")).toEqual([
      ['keyword', 'select'],
      ['identifier', 'Name'],
      ['operator', ','],
      ['string', "'it''s'"],
      ['keyword', 'from'],
      ['identifier', 'users'],
      ['comment', '-- all'],
      ['keyword', 'where'],
      ['identifier', 'id'],
      ['operator', '='],
      ['number', '42'],
    ])
  })

  it('reads nested block comments, dollar quotes, E-strings, quoted names and parameters', () => {
    expect(kinds('/* a /* b */ c */ 1')).toEqual([
      ['comment', '/* a /* b */ c */'],
      ['number', '1'],
    ])
    expect(kinds("$fn$ select 'x' $fn$ $$y$$")).toEqual([
      ['string', "$fn$ select 'x' $fn$"],
      ['string', '$$y$$'],
    ])
    expect(kinds("E'a\\'b' \"My Table\" $1")).toEqual([
      ['string', "E'a\\'b'"],
      ['quoted', '"My Table"'],
      ['param', '$1'],
    ])
    expect(kinds('.5 3.14 1e-3 0xFF')).toEqual([
      ['number', '.5'],
      ['number', '3.14'],
      ['number', '1e-3'],
      ['number', '0xFF'],
    ])
  })

  it('runs an unterminated string or comment to the end, as while typing', () => {
    expect(kinds("select 'abc")).toEqual([
      ['keyword', 'select'],
      ['string', "'abc"],
    ])
    expect(kinds('1 /* open')).toEqual([
      ['number', '1'],
      ['comment', '/* open'],
    ])
  })
})

describe('error position', () => {
  it('marks the token PostgreSQL points at (1-based)', () => {
    const sql = 'SELECT * FORM users'
    // PostgreSQL: syntax error at or near "FORM", position 10.
    expect(errorRange(sql, 10)).toEqual({ start: 9, end: 13 })
    expect(sql.slice(9, 13)).toBe('FORM')
  })

  it('counts characters, not UTF-16 units, before the position', () => {
    const sql = "SELECT '😀' FORM t"
    // 😀 is one character to PostgreSQL but two code units here.
    const position = Array.from(sql).indexOf('F') + 1
    const range = errorRange(sql, position)!
    expect(sql.slice(range.start, range.end)).toBe('FORM')
  })

  it('marks the last character for a position at the end, and nothing without one', () => {
    expect(errorRange('SELECT (1', 10)).toEqual({ start: 8, end: 9 })
    expect(errorRange('SELECT 1', null)).toBeNull()
    expect(errorRange('SELECT 1', 0)).toBeNull()
    expect(errorRange('SELECT 1', 99)).toBeNull()
  })

  it('marks one character inside a token', () => {
    expect(errorRange('SELECT abc', 9)).toEqual({ start: 8, end: 9 })
  })

  it('gives line and column of the mark', () => {
    const sql = 'SELECT 1\nFROM\n  nowhere x y'
    const range = errorRange(sql, sql.indexOf('y') + 1)!
    expect(lineAndColumn(sql, range.start)).toEqual({ line: 3, column: 13 })
  })
})

describe('cells', () => {
  it('shows NULL apart and JSON compact', () => {
    expect(cellText(null)).toEqual({ text: 'NULL', isNull: true })
    expect(cellText('NULL')).toEqual({ text: 'NULL', isNull: false })
    expect(cellText({ a: [1, 2], b: null })).toEqual({ text: '{"a":[1,2],"b":null}', isNull: false })
    expect(cellText(false)).toEqual({ text: 'false', isNull: false })
  })
})
