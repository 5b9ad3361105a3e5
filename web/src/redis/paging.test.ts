import { describe, expect, it } from 'vitest'
import type { KeyValue } from '../api'
import { isLiteralPattern, merge, nextPage } from './paging'

const meta = { key: 'k', key_encoding: 'utf8', ttl: -1, size: 1, encoding: null, value_encoding: 'utf8' } as const

describe('value paging', () => {
  it('walks a hash by cursor and merges its fields', () => {
    const first: KeyValue = { ...meta, type: 'hash', length: 3, fields: { a: '1', b: '2' }, cursor: '5' }
    expect(nextPage(first)).toEqual({ cursor: '5', count: 200 })
    const second: KeyValue = { ...meta, type: 'hash', length: 3, fields: { c: '3' }, cursor: '0' }
    const both = merge(first, second)
    expect(both.type === 'hash' && Object.keys(both.fields)).toEqual(['a', 'b', 'c'])
    expect(nextPage(both)).toBeNull()
  })

  it('walks a sorted-set search by cursor and a score range within the members in range', () => {
    const found: KeyValue = { ...meta, type: 'zset', length: 900, members: [], start: 0, stop: 0, cursor: '17' }
    expect(nextPage(found)).toEqual({ cursor: '17', count: 200 })
    expect(nextPage({ ...found, cursor: '0' })).toBeNull()
    const range: KeyValue = { ...meta, type: 'zset', length: 900, members: [], start: 0, stop: 199, in_range: 150 }
    expect(nextPage(range)).toBeNull()
    expect(nextPage({ ...range, in_range: 300 })).toEqual({ start: 200, stop: 399, count: 200 })
  })

  it('walks a list by index', () => {
    const first: KeyValue = { ...meta, type: 'list', length: 250, values: ['x'], start: 0, stop: 199 }
    expect(nextPage(first)).toEqual({ start: 200, stop: 399, count: 200 })
    const last: KeyValue = { ...meta, type: 'list', length: 250, values: ['y'], start: 200, stop: 399 }
    const both = merge(first, last)
    expect(both.type === 'list' && both.values).toEqual(['x', 'y'])
    expect(nextPage(both)).toBeNull()
  })

  it('walks a stream by exclusive start id', () => {
    const page: KeyValue = { ...meta, type: 'stream', length: 9, entries: [{ id: '1-0', fields: {} }], next_start: '(1-0' }
    expect(nextPage(page)).toEqual({ stream_start: '(1-0', count: 200 })
  })
})

describe('key patterns', () => {
  it('reads a pattern without glob characters as one key name', () => {
    expect(isLiteralPattern('user:1001')).toBe(true)
    expect(isLiteralPattern('big:string')).toBe(true)
    for (const glob of ['', 'user:*', 'user:100?', 'user:[12]', 'a\\*b']) expect(isLiteralPattern(glob)).toBe(false)
  })
})
