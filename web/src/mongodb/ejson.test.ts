import { describe, expect, it } from 'vitest'
import {
  compactText,
  describeProblem,
  documentsOf,
  fieldsOf,
  idSegment,
  parseJson,
  prettyJson,
  rawElements,
  rawMember,
  type Checked,
  type JsonProblem,
} from './ejson'

function problem<T>(checked: Checked<T>): JsonProblem {
  if (checked.ok) throw new Error(`expected a problem, got ${JSON.stringify(checked.value)}`)
  return checked.problem
}

describe('parseJson', () => {
  it('reads what JSON.parse reads', () => {
    const text = '{"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "d\\n\\u00e9\\"\\\\"}, "": {}}'
    const parsed = parseJson(text)
    expect(parsed).toEqual({ ok: true, value: JSON.parse(text) })
  })

  it('keeps a field named __proto__ as a field', () => {
    const parsed = parseJson('{"__proto__": {"x": 1}}')
    if (!parsed.ok) throw new Error('parse failed')
    expect(Object.keys(parsed.value as object)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(parsed.value)).toBe(Object.prototype)
  })

  it('gives the line and column of a mistake', () => {
    const p = problem(parseJson('{\n  "a": 1,\n  "b" 2\n}'))
    expect(p).toMatchObject({ line: 3, column: 7 })
    expect(p.message).toBe(`Unexpected "2" where ':' after "b" was expected`)
    expect(describeProblem(p)).toBe(`Line 3, column 7: Unexpected "2" where ':' after "b" was expected`)
  })

  it('explains the usual mistakes', () => {
    expect(problem(parseJson('{"a": 1,}')).message).toBe("JSON allows no comma before '}'")
    expect(problem(parseJson('[1, 2,]')).message).toBe("JSON allows no comma before ']'")
    expect(problem(parseJson('{"a": 1 "b": 2}')).message).toBe("A ',' is missing between two fields")
    expect(problem(parseJson('{"a": 01}')).message).toBe('01 is not a JSON number (no leading zeros)')
    expect(problem(parseJson('{"a": "x\ny"}'))).toMatchObject({ line: 1, column: 9 })
    expect(problem(parseJson('{"a": "abc')).message).toMatch(/never closed/)
    const open = problem(parseJson('{\n "a": {"b": 1}'))
    expect(open.message).toBe("The object opened at line 1, column 1 is never closed: a '}' is missing")
    expect(problem(parseJson('{} x')).message).toBe('Unexpected text after the end of the value')
    expect(problem(parseJson('')).message).toBe('The text ends where a value was expected')
  })

  it('keeps big integers and whole doubles exact when asked', () => {
    const parsed = parseJson('{"big": 9007199254740993, "safe": 42, "neg": -9223372036854775808, "ratio": 1.0, "exp": 2e3, "x": 1.5}', {
      preserveNumbers: true,
    })
    expect(parsed).toEqual({
      ok: true,
      value: {
        big: { $numberLong: '9007199254740993' },
        safe: 42,
        neg: { $numberLong: '-9223372036854775808' },
        ratio: { $numberDouble: '1.0' },
        exp: { $numberDouble: '2e3' },
        x: 1.5,
      },
    })
  })
})

describe('working on the text', () => {
  const page = '{"data":{"documents":[{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"s":"a,]}\\""},{"_id":"abc","n":9007199254740993},{"_id":{"a":1,"b":[2]}},{"x":1}],"total":4}}'

  it('slices members and elements without changing them', () => {
    const data = rawMember(page, 'data')!
    expect(rawMember(data, 'total')).toBe('4')
    expect(rawMember(data, 'nope')).toBeUndefined()
    const docs = rawElements(rawMember(data, 'documents')!)
    expect(docs).toEqual([
      '{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"s":"a,]}\\""}',
      '{"_id":"abc","n":9007199254740993}',
      '{"_id":{"a":1,"b":[2]}}',
      '{"x":1}',
    ])
    expect(rawElements('[]')).toEqual([])
  })

  it('gives each document its {id} path segment', () => {
    const docs = documentsOf(rawMember(rawMember(page, 'data')!, 'documents')!)
    expect(docs.map((d) => d.id)).toEqual(['65a1b2c3d4e5f60718293a4b', '"abc"', '{"a":1,"b":[2]}', null])
    expect(docs[1]!.value).toEqual({ _id: 'abc', n: { $numberLong: '9007199254740993' } })
    expect(idSegment({ _id: 42 }, '{"_id":42}')).toBe('42')
  })

  it('pretty-prints token for token, and stops at a limit', () => {
    const text = '{"b":1.0,"10":[],"a":{"c":[1,{"d":"x:,{"}]},"e":{}}'
    expect(prettyJson(text).text).toBe(
      '{\n  "b": 1.0,\n  "10": [],\n  "a": {\n    "c": [\n      1,\n      {\n        "d": "x:,{"\n      }\n    ]\n  },\n  "e": {}\n}',
    )
    const big = JSON.stringify({ list: Array.from({ length: 10000 }, (_, i) => i) })
    const cut = prettyJson(big, 100)
    expect(cut.complete).toBe(false)
    expect(cut.text.length).toBeLessThan(120)
  })
})

describe('showing values', () => {
  it('reads typed values as a person would', () => {
    expect(compactText({ $oid: '65a1b2c3d4e5f60718293a4b' })).toBe("ObjectId('65a1b2c3d4e5f60718293a4b')")
    expect(compactText({ $date: '2026-01-01T00:00:00Z' })).toBe('2026-01-01T00:00:00Z')
    expect(compactText({ $date: { $numberLong: '0' } })).toBe('1970-01-01T00:00:00.000Z')
    expect(compactText({ $numberLong: '9007199254740993' })).toBe('9007199254740993')
    expect(compactText({ $binary: { base64: 'AAEC/w==', subType: '00' } })).toBe('Binary(4 bytes, subtype 00)')
    expect(compactText({ a: 1, 'b c': ['x', null], d: {} })).toBe('{ a: 1, "b c": ["x", null], d: {} }')
  })

  it('cuts long values', () => {
    const text = compactText({ list: Array.from({ length: 100000 }, (_, i) => i) }, 50)
    expect(text.length).toBe(51)
    expect(text.endsWith('…')).toBe(true)
  })

  it('collects the fields of a page, _id first', () => {
    expect(fieldsOf([{ b: 1, _id: 1 }, { c: 1, b: 2 }, 'not a doc'])).toEqual({ fields: ['_id', 'b', 'c'], more: 0 })
    const wide = { ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, i])) }
    expect(fieldsOf([wide], 40)).toMatchObject({ more: 10 })
  })
})
