import { describe, expect, it } from 'vitest'
import { JsonText, type RowColumn } from '../../api'
import { cellDisplay, draftOf, editorKind, parseDraft } from './cells'

function col(format: string, extra: Partial<RowColumn> = {}): RowColumn {
  return {
    name: 'c',
    type: format,
    format,
    nullable: true,
    default: null,
    primary_key: false,
    foreign_key: null,
    enum_values: null,
    updatable: true,
    ...extra,
  }
}

describe('cell editors: values', () => {
  it('picks an editor from the column type', () => {
    expect(editorKind(col('int8'))).toBe('bigint')
    expect(editorKind(col('_text'))).toBe('array')
    expect(editorKind(col('mood', { enum_values: ['sad', 'ok'] }))).toBe('enum')
    expect(editorKind(col('timestamptz'))).toBe('timestamp')
    expect(editorKind(col('varchar'))).toBe('text')
  })

  it('keeps big numbers exact: int8 and numeric go out as strings, never through a Number', () => {
    expect(parseDraft(col('int8'), { isNull: false, text: '9007199254740993' })).toEqual({ ok: true, value: '9007199254740993' })
    expect(parseDraft(col('int8'), { isNull: false, text: '9223372036854775808' }).ok).toBe(false)
    expect(parseDraft(col('numeric'), { isNull: false, text: '12345678901234567890.123456789' })).toEqual({
      ok: true,
      value: '12345678901234567890.123456789',
    })
    expect(parseDraft(col('numeric'), { isNull: false, text: '1,5' }).ok).toBe(false)
    expect(parseDraft(col('int4'), { isNull: false, text: '42' })).toEqual({ ok: true, value: 42 })
    expect(parseDraft(col('int2'), { isNull: false, text: '40000' }).ok).toBe(false)
    expect(parseDraft(col('int4'), { isNull: false, text: '4.2' }).ok).toBe(false)
    expect(parseDraft(col('float8'), { isNull: false, text: 'NaN' })).toEqual({ ok: true, value: 'NaN' })
    // A stored big number comes back into the editor with all its digits.
    expect(draftOf(col('int8'), '9007199254740993')).toEqual({ isNull: false, text: '9007199254740993' })
  })

  it('tells NULL from the empty string', () => {
    expect(parseDraft(col('text'), { isNull: false, text: '' })).toEqual({ ok: true, value: '' })
    expect(parseDraft(col('text'), { isNull: true, text: 'ignored' })).toEqual({ ok: true, value: null })
    expect(parseDraft(col('text', { nullable: false }), { isNull: true, text: '' })).toEqual({ ok: false, error: 'c: cannot be NULL' })
    expect(draftOf(col('text'), null)).toEqual({ isNull: true, text: '' })
    expect(draftOf(col('text'), '')).toEqual({ isNull: false, text: '' })
    expect(cellDisplay(null)).toEqual({ text: 'NULL', kind: 'null' })
    expect(cellDisplay('')).toEqual({ text: 'EMPTY', kind: 'empty' })
    expect(cellDisplay('NULL')).toEqual({ text: 'NULL', kind: 'value' })
  })

  it('sends JSON as the text typed, and checks it', () => {
    const parsed = parseDraft(col('jsonb'), { isNull: false, text: '{"n": 12345678901234567890}' })
    expect(parsed.ok && parsed.value instanceof JsonText && parsed.value.text).toBe('{"n": 12345678901234567890}')
    const bad = parseDraft(col('jsonb'), { isNull: false, text: '{n: 1}' })
    expect(bad.ok).toBe(false)
    expect(parseDraft(col('_int4'), { isNull: false, text: '{"a":1}' }).ok).toBe(false)
    expect(draftOf(col('jsonb'), { a: [1] })).toEqual({ isNull: false, text: '{\n  "a": [\n    1\n  ]\n}' })
  })

  it('checks booleans, enums, dates, times, timestamps, UUIDs and bytes', () => {
    expect(parseDraft(col('bool'), { isNull: false, text: 'false' })).toEqual({ ok: true, value: false })
    expect(parseDraft(col('bool'), { isNull: false, text: '' }).ok).toBe(false)
    expect(parseDraft(col('mood', { enum_values: ['sad', 'ok'] }), { isNull: false, text: 'ok' })).toEqual({ ok: true, value: 'ok' })
    expect(parseDraft(col('mood', { enum_values: ['sad', 'ok'] }), { isNull: false, text: 'happy' }).ok).toBe(false)
    expect(parseDraft(col('date'), { isNull: false, text: '2024-02-29' }).ok).toBe(true)
    expect(parseDraft(col('date'), { isNull: false, text: '29/02/2024' }).ok).toBe(false)
    expect(parseDraft(col('time'), { isNull: false, text: '12:30' }).ok).toBe(true)
    expect(parseDraft(col('timestamptz'), { isNull: false, text: '2024-01-02T03:04:05.123Z' }).ok).toBe(true)
    expect(parseDraft(col('timestamptz'), { isNull: false, text: '2024-01-02 03:04:05+02' }).ok).toBe(true)
    expect(parseDraft(col('timestamp'), { isNull: false, text: 'yesterday' }).ok).toBe(false)
    expect(parseDraft(col('uuid'), { isNull: false, text: 'not-a-uuid' }).ok).toBe(false)
    expect(parseDraft(col('bytea'), { isNull: false, text: '\\xdeadbeef' })).toEqual({ ok: true, value: '\\xdeadbeef' })
    expect(parseDraft(col('bytea'), { isNull: false, text: '\\xabc' }).ok).toBe(false)
  })
})
