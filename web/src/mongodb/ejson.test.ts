import { describe, expect, it } from 'vitest'
import {
  checkDocument,
  checkIndexKeys,
  checkObject,
  checkPipeline,
  checkReplacement,
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
    expect(problem(parseJson('{name: "Ada"}')).message).toBe('Field names need double quotes: "name"')
    expect(problem(parseJson("{'a': 1}")).message).toMatch(/double quotes/)
    expect(problem(parseJson('{"a": 1 "b": 2}')).message).toBe("A ',' is missing between two fields")
    expect(problem(parseJson('{"a": 01}')).message).toBe('01 is not a JSON number (no leading zeros)')
    expect(problem(parseJson('{"a": "x\ny"}'))).toMatchObject({ line: 1, column: 9 })
    expect(problem(parseJson('{"a": "abc')).message).toMatch(/never closed/)
    const open = problem(parseJson('{\n "a": {"b": 1}'))
    expect(open.message).toBe("The object opened at line 1, column 1 is never closed: a '}' is missing")
    expect(problem(parseJson('{} x')).message).toBe('Unexpected text after the end of the value')
    expect(problem(parseJson('')).message).toBe('The text ends where a value was expected')
  })

  it('points mongosh syntax at its Extended JSON', () => {
    const oid = problem(parseJson('{"_id": ObjectId("65a1b2c3d4e5f60718293a4b")}'))
    expect(oid.message).toMatch(/\{"\$oid": "<24 hex digits>"\}/)
    expect(oid.column).toBe(9)
    expect(problem(parseJson('{"at": ISODate("2026-01-01")}')).message).toMatch(/\$date/)
    expect(problem(parseJson('{"n": NumberLong(5)}')).message).toMatch(/\$numberLong/)
    expect(problem(parseJson('{"n": NaN}')).message).toMatch(/\$numberDouble/)
    expect(problem(parseJson('{"n": 1 // one\n}')).message).toBe('JSON has no comments')
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

describe('Extended JSON checks', () => {
  it('accepts well-formed type wrappers, canonical and relaxed', () => {
    const text = JSON.stringify({
      _id: { $oid: '65a1b2c3d4e5f60718293a4b' },
      at: { $date: '2026-01-01T00:00:00.123Z' },
      at2: { $date: { $numberLong: '-1000' } },
      at3: { $date: '2026-01-01T10:00:00+02:00' },
      n: { $numberLong: '9223372036854775807' },
      i: { $numberInt: '-2147483648' },
      d: { $numberDouble: 'Infinity' },
      d2: { $numberDouble: '1.0' },
      dec: { $numberDecimal: '1234567890.123456789' },
      bin: { $binary: { base64: 'AAEC/w==', subType: '00' } },
      legacy: { $binary: 'AAEC/w==', $type: '0' },
      uuid: { $uuid: '123e4567-e89b-12d3-a456-426614174000' },
      ts: { $timestamp: { t: 1700000000, i: 1 } },
      re: { $regularExpression: { pattern: '^a', options: 'i' } },
      min: { $minKey: 1 },
      q: { age: { $gte: 18 }, name: { $regex: '^A', $options: 'i' }, tags: { $in: ['a'] } },
    })
    expect(checkObject(text).ok).toBe(true)
  })

  it('refuses malformed wrappers, pointing at the value', () => {
    const oid = problem(checkObject('{\n  "_id": {"$oid": "nothex"}\n}'))
    expect(oid.message).toMatch(/24 hexadecimal digits/)
    expect(oid).toMatchObject({ line: 2, column: 19 })
    expect(problem(checkObject('{"_id": {"$oid": "65a1b2c3d4e5f60718293a4"}}')).message).toMatch(/24 hexadecimal/)
    expect(problem(checkObject('{"at": {"$date": "yesterday"}}')).message).toMatch(/ISO-8601/)
    expect(problem(checkObject('{"at": {"$date": "2026-13-45T99:00:00Z"}}')).message).toMatch(/ISO-8601/)
    expect(problem(checkObject('{"n": {"$numberLong": 42}}')).message).toMatch(/string of digits/)
    expect(problem(checkObject('{"n": {"$numberLong": "9223372036854775808"}}')).message).toMatch(/64-bit/)
    expect(problem(checkObject('{"n": {"$numberInt": "2147483648"}}')).message).toMatch(/32-bit/)
    expect(problem(checkObject('{"n": {"$numberDouble": "abc"}}')).message).toMatch(/\$numberDouble/)
    expect(problem(checkObject('{"n": {"$numberDecimal": 1.5}}')).message).toMatch(/\$numberDecimal/)
    expect(problem(checkObject('{"b": {"$binary": {"base64": "!!", "subType": "00"}}}')).message).toMatch(/\$binary/)
    expect(problem(checkObject('{"t": {"$timestamp": {"t": -1, "i": 0}}}')).message).toMatch(/\$timestamp/)
    expect(problem(checkObject('{"u": {"$uuid": "nope"}}')).message).toMatch(/UUID/)
    expect(problem(checkObject('{"_id": {"$oid": "65a1b2c3d4e5f60718293a4b", "x": 1}}')).message).toMatch(/no other field/)
  })

  it('keeps the _id of an edited document', () => {
    const original = { $oid: '65a1b2c3d4e5f60718293a4b' }
    expect(checkReplacement('{"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "a": 2}', original).ok).toBe(true)
    expect(checkReplacement('{"a": 2}', original).ok).toBe(true)
    const changed = problem(checkReplacement('{\n  "a": 2,\n  "_id": {"$oid": "65a1b2c3d4e5f60718293a4c"}\n}', original))
    expect(changed).toMatchObject({ line: 3, column: 3 })
    expect(changed.message).toMatch(/cannot change/)
    // A 64-bit id is compared digit for digit, not as a rounded JavaScript number.
    const big = { $numberLong: '9007199254740993' }
    expect(checkReplacement('{"_id": 9007199254740993}', big).ok).toBe(true)
    expect(checkReplacement('{"_id": 9007199254740992}', big).ok).toBe(false)
  })

  it('checks an index key pattern', () => {
    expect(checkIndexKeys('{"email": 1, "age": -1}').ok).toBe(true)
    expect(checkIndexKeys('{"body": "text"}').ok).toBe(true)
    expect(problem(checkIndexKeys('{}')).message).toMatch(/at least one field/)
    expect(problem(checkIndexKeys('{\n  "a": 1,\n  "b": 2\n}'))).toMatchObject({ line: 3, column: 3 })
  })

  it('refuses a field that appears twice', () => {
    const p = problem(checkObject('{"a": 1, "a": 2}'))
    expect(p.message).toBe('The field "a" appears twice in this object')
    expect(p.column).toBe(10)
  })

  it('wants an object for a document or a filter, an array of stages for a pipeline', () => {
    expect(problem(checkObject('[1]')).message).toBe('This must be an object in braces {…}, not an array')
    expect(problem(checkObject('  ')).message).toMatch(/^Empty/)
    expect(problem(checkDocument('{"$set": {"a": 1}}')).message).toMatch(/cannot start with "\$"/)
    expect(checkDocument('{"a": {"$b": 1}}').ok).toBe(true)
    expect(checkPipeline('[{"$match": {"a": 1}}, {"$limit": 5}]')).toEqual({
      ok: true,
      value: [{ $match: { a: 1 } }, { $limit: 5 }],
    })
    expect(problem(checkPipeline('{"$match": {}}')).message).toMatch(/array of stages/)
    const stage = problem(checkPipeline('[\n  {"$match": {}},\n  5\n]'))
    expect(stage).toMatchObject({ line: 3, column: 3, message: 'Stage 2 must be an object like {"$match": {…}}, not a number' })
    expect(problem(checkPipeline('[{"$match": {}, "$limit": 1}]')).message).toMatch(/exactly one field/)
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
