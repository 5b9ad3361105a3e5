// One field's value as the field editor shows it: a BSON type and the text of the value in that
// type (`Int64` + `42`), or `Extended JSON` for anything typed in full (documents, arrays, or shell
// syntax). The server's relaxed Extended JSON writes small Int64s as plain numbers, so an integer
// starts as Int32 when it fits; the type stays a choice in the editor.
import { typeName, type Json, type JsonObject } from './ejson'
import { readValue, type Read } from './shell'
import type { Checked } from './ejson'

export const FIELD_TYPES = ['String', 'Int32', 'Int64', 'Double', 'Decimal128', 'Boolean', 'Date', 'ObjectId', 'Null', 'Extended JSON'] as const
export type FieldType = (typeof FIELD_TYPES)[number]

/** The editor's starting type and text for a stored value. */
export function fieldStart(value: Json): { type: FieldType; text: string } {
  const o = value as JsonObject
  switch (typeName(value)) {
    case 'string':
      return { type: 'String', text: value as string }
    case 'boolean':
      return { type: 'Boolean', text: String(value) }
    case 'null':
      return { type: 'Null', text: '' }
    case 'number': {
      const n = value as number
      const int32 = Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31
      return { type: int32 ? 'Int32' : Number.isInteger(n) ? 'Int64' : 'Double', text: String(n) }
    }
    case 'int':
      return { type: 'Int32', text: String(o.$numberInt) }
    case 'long':
      return { type: 'Int64', text: String(o.$numberLong) }
    case 'double':
      return { type: 'Double', text: String(o.$numberDouble) }
    case 'decimal':
      return { type: 'Decimal128', text: String(o.$numberDecimal) }
    case 'oid':
      return { type: 'ObjectId', text: String(o.$oid) }
    case 'date': {
      const d = o.$date
      if (typeof d === 'string') return { type: 'Date', text: d }
      const ms = typeof d === 'number' ? d : Number((d as JsonObject | undefined)?.$numberLong)
      const date = new Date(ms)
      return Number.isNaN(date.getTime()) ? { type: 'Extended JSON', text: JSON.stringify(value) } : { type: 'Date', text: date.toISOString() }
    }
    default:
      return { type: 'Extended JSON', text: JSON.stringify(value) }
  }
}

const INTEGER = /^-?\d+$/
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** The canonical Extended JSON of `text` read as `type`, or why it cannot be. */
export function fieldValue(type: FieldType, text: string): Checked<Read> {
  const t = text.trim()
  const wrong = (message: string): Checked<Read> => ({ ok: false, problem: { message, offset: 0, line: 1, column: 1 } })
  switch (type) {
    case 'String':
      return readValue(JSON.stringify(text))
    case 'Int32':
      if (!INTEGER.test(t) || Math.abs(Number(t)) > 2 ** 31 || Number(t) === 2 ** 31) return wrong('An Int32 is a whole number from -2147483648 to 2147483647')
      return readValue(JSON.stringify({ $numberInt: t }))
    case 'Int64':
      if (!INTEGER.test(t) || BigInt(t) < -(2n ** 63n) || BigInt(t) >= 2n ** 63n) return wrong('An Int64 is a whole number within 64 bits, like 9007199254740993')
      return readValue(JSON.stringify({ $numberLong: t }))
    case 'Double':
      if (!DECIMAL.test(t) && !['Infinity', '-Infinity', 'NaN'].includes(t)) return wrong('A Double is a number, like 1.5')
      return readValue(JSON.stringify({ $numberDouble: t }))
    case 'Decimal128':
      if (!DECIMAL.test(t)) return wrong('A Decimal128 is a decimal number, like 19.99')
      return readValue(JSON.stringify({ $numberDecimal: t }))
    case 'Boolean':
      if (t !== 'true' && t !== 'false') return wrong('A Boolean is true or false')
      return readValue(t)
    case 'Date':
      return readValue(JSON.stringify({ $date: t }))
    case 'ObjectId':
      return readValue(JSON.stringify({ $oid: t }))
    case 'Null':
      return readValue('null')
    case 'Extended JSON':
      return readValue(text)
  }
}
