import { describe, expect, it } from 'vitest'
import { csvRecords, csvType, previewCsv, previewJson } from './importPreview'

describe('import previews', () => {
  it('reads quoted CSV fields and leaves a cut-off record out', () => {
    const text = 'id,name\r\n1,"a, ""b""\nc"\n2,plain\n3,cut'
    expect(csvRecords(text)).toEqual([
      ['id', 'name'],
      ['1', 'a, "b"\nc'],
      ['2', 'plain'],
    ])
  })

  it('infers CSV types as the server does', () => {
    expect(['42', '-7', '1.5', '1e3', '007', 'true', '', 'x'].map(csvType)).toEqual([
      'integer',
      'integer',
      'double',
      'double',
      'string',
      'boolean',
      'empty',
      'string',
    ])
    expect(previewCsv('n,x\n1,a\n2.5,\n').types).toEqual(['double', 'string'])
  })

  it('lists the fields of NDJSON documents with their types', () => {
    const p = previewJson('{"a":1,"b":{"$date":"2026-01-01T00:00:00Z"}}\n{"a":"x","c":[1]}\n')
    expect(p.columns).toEqual(['a', 'b', 'c'])
    expect(p.types).toEqual(['number | string', 'date', 'array'])
    expect(p.rows.length).toBe(2)
  })
})
