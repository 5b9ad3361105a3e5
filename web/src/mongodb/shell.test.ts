import { describe, expect, it } from 'vitest'
import { documentsOf, type Checked, type JsonProblem } from './ejson'
import { canonicalOf, checkDocument, checkIndexKeys, checkObject, checkOptional, checkPipeline, checkReplacement, readValue } from './shell'

function ejson(text: string): string {
  const read = readValue(text)
  if (!read.ok) throw new Error(`${text}: ${read.problem.message}`)
  return read.value.ejson
}

function problem<T>(checked: Checked<T>): JsonProblem {
  if (checked.ok) throw new Error(`expected a problem, got ${JSON.stringify(checked.value)}`)
  return checked.problem
}

const OID = '65a1b2c3d4e5f60718293a4b'

describe('shell syntax and strict Extended JSON give the same canonical Extended JSON', () => {
  // Each pair: what people paste from mongosh/Compass, and the strict form of the same values.
  const pairs: [string, string, string][] = [
    ['unquoted keys', '{status: "active", age: {$gte: 18}}', '{"status": "active", "age": {"$gte": 18}}'],
    ['single quotes', "{name: 'Ada', 'last name': 'Lovelace'}", '{"name": "Ada", "last name": "Lovelace"}'],
    ['trailing commas', '{a: [1, 2,], b: {c: 1,},}', '{"a": [1, 2], "b": {"c": 1}}'],
    ['ObjectId', `{_id: ObjectId('${OID}')}`, `{"_id": {"$oid": "${OID}"}}`],
    ['ObjectId with double quotes', `{_id: ObjectId("${OID}")}`, `{"_id": {"$oid": "${OID}"}}`],
    ['ISODate', "{at: {$gte: ISODate('2026-01-01T00:00:00Z')}}", '{"at": {"$gte": {"$date": "2026-01-01T00:00:00Z"}}}'],
    ['ISODate with milliseconds', "{at: ISODate('2026-01-01T10:20:30.456Z')}", '{"at": {"$date": "2026-01-01T10:20:30.456Z"}}'],
    ['ISODate date only', "{at: ISODate('2026-01-01')}", '{"at": {"$date": "2026-01-01T00:00:00Z"}}'],
    ['NumberLong from a string', "{n: NumberLong('9223372036854775807')}", '{"n": {"$numberLong": "9223372036854775807"}}'],
    ['NumberLong from a number', '{n: NumberLong(42)}', '{"n": {"$numberLong": "42"}}'],
    ['a big integer literal', '{n: NumberLong("-9223372036854775808")}', '{"n": -9223372036854775808}'],
    ['NumberInt', '{n: NumberInt(7)}', '{"n": {"$numberInt": "7"}}'],
    ['NumberDecimal', "{p: NumberDecimal('19.990')}", '{"p": {"$numberDecimal": "19.990"}}'],
    ['a wrapper in shell syntax', `{_id: {$oid: '${OID}'}}`, `{"_id": {"$oid": "${OID}"}}`],
    ['everything at once', `{_id: ObjectId('${OID}'), at: ISODate('2026-01-01T00:00:00Z'), n: NumberLong('5'), 'x': [1, 'two',],}`,
      `{"_id": {"$oid": "${OID}"}, "at": {"$date": "2026-01-01T00:00:00Z"}, "n": {"$numberLong": "5"}, "x": [1, "two"]}`],
    ['a pipeline', "[{$match: {a: 1}}, {$limit: 5},]", '[{"$match": {"a": 1}}, {"$limit": 5}]'],
  ]
  for (const [what, shell, strict] of pairs) {
    it(what, () => {
      expect(ejson(shell)).toBe(ejson(strict))
    })
  }

  it('sends every value with its type', () => {
    expect(ejson(`{_id: ObjectId('${OID}'), at: ISODate('2026-01-01'), n: NumberLong('5'), i: 1, d: 2.5}`)).toBe(
      `{"_id":{"$oid":"${OID}"},"at":{"$date":{"$numberLong":"1767225600000"}},"n":{"$numberLong":"5"},"i":{"$numberInt":"1"},"d":{"$numberDouble":"2.5"}}`,
    )
  })
})

describe('numbers keep their exact value and type', () => {
  it('round-trips Int64 and Decimal128 digit for digit', () => {
    const server = '{"big": 9223372036854775807, "neg": -9223372036854775808, "past53": 9007199254740993, "dec": {"$numberDecimal": "1234567890.123456789012345678901234"}}'
    expect(ejson(server)).toBe(
      '{"big":{"$numberLong":"9223372036854775807"},"neg":{"$numberLong":"-9223372036854775808"},"past53":{"$numberLong":"9007199254740993"},"dec":{"$numberDecimal":"1234567890.123456789012345678901234"}}',
    )
    // And again: canonical text read back is the same text.
    expect(ejson(ejson(server))).toBe(ejson(server))
  })

  it('keeps a whole double written 1.0 a double, and a document from the server as it was', () => {
    expect(ejson('{"r": 1.0, "i": 1}')).toBe('{"r":{"$numberDouble":"1.0"},"i":{"$numberInt":"1"}}')
    const [doc] = documentsOf('[{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"n":9223372036854775807,"r":1.0}]')
    expect(ejson(JSON.stringify(doc!.value))).toBe(
      '{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"n":{"$numberLong":"9223372036854775807"},"r":{"$numberDouble":"1.0"}}',
    )
  })
})

describe('refusals', () => {
  it('says where a shell-syntax mistake is', () => {
    const p = problem(readValue('{\n  a: 1,\n  b: \n}'))
    expect(p.line).toBe(4)
    expect(p.message).toMatch(/Unexpected token/)
    expect(p.message).not.toMatch(/ in \(/)
  })

  it('never runs code: calls and variables are refused', () => {
    expect(problem(readValue('{a: alert(1)}')).message).toMatch(/Only values/)
    expect(readValue('{a: window}').ok).toBe(false)
  })

  it('refuses malformed values', () => {
    expect(problem(readValue('{"_id": {"$oid": "nothex"}}')).message).toMatch(/24 character hex/)
    expect(problem(readValue("{_id: ObjectId('nothex')}")).message).toMatch(/hex|ObjectId/i)
    expect(problem(readValue('{"at": {"$date": "yesterday"}}')).message).toMatch(/not a valid date/)
    expect(problem(readValue("{at: ISODate('yesterday')}")).message).toMatch(/date/i)
  })

  it('wants objects for filters and documents, an array of stages for a pipeline', () => {
    expect(problem(checkObject('[1]')).message).toBe('This must be an object in braces {…}, not an array')
    expect(checkOptional('  ')).toEqual({ ok: true, value: null })
    expect(problem(checkDocument('{$set: {a: 1}}')).message).toMatch(/cannot start with "\$"/)
    expect(checkDocument('{a: {$b: 1}}').ok).toBe(true)
    expect(problem(checkPipeline('{$match: {}}')).message).toMatch(/array of stages/)
    expect(problem(checkPipeline('[{$match: {}}, 5]')).message).toMatch(/Stage 2 must be an object/)
    expect(problem(checkPipeline('[{$match: {}, $limit: 1}]')).message).toMatch(/exactly one field/)
    expect(problem(checkObject('{"a": 1, "a": 2}')).message).toMatch(/appears twice/)
  })

  it('checks an index key pattern in either syntax', () => {
    expect(checkIndexKeys('{email: 1, age: -1}').ok).toBe(true)
    expect(checkIndexKeys('{"body": "text"}').ok).toBe(true)
    expect(problem(checkIndexKeys('{}')).message).toMatch(/at least one field/)
    expect(problem(checkIndexKeys('{a: 2}')).message).toMatch(/must be 1/)
  })

  it('keeps the _id of an edited document, compared as canonical values', () => {
    const original = canonicalOf({ $oid: OID })
    expect(checkReplacement(`{_id: ObjectId('${OID}'), a: 2}`, original).ok).toBe(true)
    expect(checkReplacement('{"a": 2}', original).ok).toBe(true)
    expect(problem(checkReplacement(`{"_id": {"$oid": "${OID.replace(/b$/, 'c')}"}}`, original)).message).toMatch(/cannot change/)
    const big = canonicalOf({ $numberLong: '9007199254740993' })
    expect(checkReplacement('{"_id": 9007199254740993}', big).ok).toBe(true)
    expect(checkReplacement('{"_id": 9007199254740992}', big).ok).toBe(false)
  })
})
