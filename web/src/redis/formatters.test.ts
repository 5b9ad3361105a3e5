import { describe, expect, it } from 'vitest'
import { format, looksLikeJson } from './formatters'

describe('value formatters', () => {
  it('pretty-prints JSON and says when it is not JSON', () => {
    expect(format('{"a":[1,2]}', 'utf8', 'json')).toEqual({ text: '{\n  "a": [\n    1,\n    2\n  ]\n}' })
    expect('error' in format('nope', 'utf8', 'json')).toBe(true)
    expect(looksLikeJson('{"a":1}')).toBe(true)
    expect(looksLikeJson('42')).toBe(false)
  })
  it('shows hex and base64 of the bytes', () => {
    expect(format('AB', 'utf8', 'hex')).toEqual({ text: '00000000  41 42' + ' '.repeat(42) + '  AB' })
    expect(format('hi', 'utf8', 'base64')).toEqual({ text: 'aGk=' })
    expect(format('/w==', 'base64', 'hex')).toEqual({ text: '00000000  ff' + ' '.repeat(45) + '  .' })
    expect(format('/w==', 'base64', 'raw')).toEqual({ text: '/w==' })
  })
})
