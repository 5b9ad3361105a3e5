import { describe, expect, it } from 'vitest'
import { fieldStart, fieldValue, type FieldType } from './fieldValue'

function sent(type: FieldType, text: string): string {
  const read = fieldValue(type, text)
  if (!read.ok) throw new Error(read.problem.message)
  return read.value.ejson
}

describe('one field edited with its type', () => {
  it('starts from the stored value and its type', () => {
    expect(fieldStart('Ada')).toEqual({ type: 'String', text: 'Ada' })
    expect(fieldStart(7)).toEqual({ type: 'Int32', text: '7' })
    expect(fieldStart(2.5)).toEqual({ type: 'Double', text: '2.5' })
    expect(fieldStart({ $numberLong: '9007199254740993' })).toEqual({ type: 'Int64', text: '9007199254740993' })
    expect(fieldStart({ $numberDouble: '1.0' })).toEqual({ type: 'Double', text: '1.0' })
    expect(fieldStart({ $numberDecimal: '19.990' })).toEqual({ type: 'Decimal128', text: '19.990' })
    expect(fieldStart({ $oid: '65a1b2c3d4e5f60718293a4b' })).toEqual({ type: 'ObjectId', text: '65a1b2c3d4e5f60718293a4b' })
    expect(fieldStart({ $date: '2026-01-01T00:00:00Z' })).toEqual({ type: 'Date', text: '2026-01-01T00:00:00Z' })
    expect(fieldStart({ a: 1 }).type).toBe('Extended JSON')
  })

  it('sends the value in the chosen type, exactly', () => {
    expect(sent('String', '42')).toBe('"42"')
    expect(sent('Int32', '42')).toBe('{"$numberInt":"42"}')
    expect(sent('Int64', '9223372036854775807')).toBe('{"$numberLong":"9223372036854775807"}')
    expect(sent('Double', '1.0')).toBe('{"$numberDouble":"1.0"}')
    expect(sent('Decimal128', '19.990')).toBe('{"$numberDecimal":"19.990"}')
    expect(sent('Boolean', 'true')).toBe('true')
    expect(sent('Date', '2026-01-01T00:00:00Z')).toBe('{"$date":{"$numberLong":"1767225600000"}}')
    expect(sent('ObjectId', '65a1b2c3d4e5f60718293a4b')).toBe('{"$oid":"65a1b2c3d4e5f60718293a4b"}')
    expect(sent('Null', '')).toBe('null')
    expect(sent('Extended JSON', "{city: 'Paris', at: ISODate('2026-01-01')}")).toBe('{"city":"Paris","at":{"$date":{"$numberLong":"1767225600000"}}}')
  })

  it('refuses a value that is not of the type', () => {
    for (const [type, text] of [
      ['Int32', '2147483648'],
      ['Int32', '1.5'],
      ['Int64', '9223372036854775808'],
      ['Double', 'abc'],
      ['Boolean', 'yes'],
      ['Date', 'tomorrow'],
      ['ObjectId', 'nothex'],
    ] as [FieldType, string][]) {
      expect(fieldValue(type, text).ok, `${type} ${text}`).toBe(false)
    }
  })
})
