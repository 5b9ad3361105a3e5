import { describe, expect, it } from 'vitest'
import type { KeyValue } from '../api'
import {
  applyLocally,
  fieldMap,
  hashRemove,
  hashSet,
  listPush,
  listRemoveAt,
  listSet,
  newTombstone,
  parseScore,
  setReplace,
  streamRemove,
  wasDeleted,
  zsetAdd,
  zsetRemove,
} from './edits'

const meta = { key: 'k', key_encoding: 'utf8', ttl: 60, size: 100, encoding: 'listpack', value_encoding: 'utf8' } as const

describe('PATCH bodies', () => {
  it('shapes each element edit as the server reads it', () => {
    expect(hashSet('name', 'Ada')).toEqual({ set: { name: 'Ada' } })
    expect(hashRemove('name')).toEqual({ remove: ['name'] })
    expect(listSet(2, 'x')).toEqual({ set_index: { index: 2, value: 'x' } })
    expect(listPush('y')).toEqual({ add: ['y'] })
    expect(zsetAdd('alice', 2.5)).toEqual({ add: [{ member: 'alice', score: 2.5 }] })
    expect(zsetRemove('alice')).toEqual({ remove: ['alice'] })
    expect(streamRemove('1-0')).toEqual({ remove: ['1-0'] })
  })

  it('marks bodies of binary collections as base64', () => {
    expect(hashSet('Zg==', 'AA==', 'base64')).toEqual({ set: { 'Zg==': 'AA==' }, value_encoding: 'base64' })
  })

  it('removes one list element by index through a tombstone in the same transaction', () => {
    const tombstone = newTombstone()
    expect(tombstone).not.toBe(newTombstone())
    expect(listRemoveAt(4, tombstone)).toEqual({ set_index: { index: 4, value: tombstone }, remove: [tombstone] })
    const b64 = listRemoveAt(0, 'gone', 'base64')
    expect(b64).toEqual({ set_index: { index: 0, value: btoa('gone') }, remove: [btoa('gone')], value_encoding: 'base64' })
  })

  it('renames a set member, and does nothing when the name is the same', () => {
    expect(setReplace('a', 'b')).toEqual({ add: ['b'], remove: ['a'] })
    expect(setReplace('a', 'a')).toBeNull()
  })

  it('reads scores and stream fields, refusing what the server would', () => {
    expect(parseScore('-1.5')).toBe(-1.5)
    expect(typeof parseScore('')).toBe('string')
    expect(typeof parseScore('abc')).toBe('string')
    expect(typeof parseScore('Infinity')).toBe('string')
    expect(fieldMap([{ field: 'a', value: '1' }, { field: '', value: '' }])).toEqual({ a: '1' })
    expect(fieldMap([{ field: '', value: 'x' }])).toMatch(/field name/)
    expect(fieldMap([{ field: 'a', value: '1' }, { field: 'a', value: '2' }])).toMatch(/twice/)
    expect(fieldMap([])).toMatch(/at least one/)
  })
})

describe('applying an answered edit to what is shown', () => {
  it('patches the loaded fields of a hash and takes the metadata of the answer', () => {
    const shown: KeyValue = { ...meta, type: 'hash', length: 3, fields: { a: '1', b: '2', c: '3' }, cursor: '7' }
    const answer: KeyValue = { ...meta, ttl: 59, type: 'hash', length: 3, fields: { a: '1' }, cursor: '7' }
    const next = applyLocally(shown, { set: { b: '20', d: '4' }, remove: ['c'] }, answer)
    expect(next).toMatchObject({ type: 'hash', ttl: 59, length: 3, cursor: '7', fields: { a: '1', b: '20', d: '4' } })
  })

  it('patches a set without duplicating members', () => {
    const shown: KeyValue = { ...meta, type: 'set', length: 2, members: ['a', 'b'], cursor: '0' }
    const answer: KeyValue = { ...shown, length: 2 }
    expect(applyLocally(shown, { add: ['c', 'a'], remove: ['b'] }, answer)).toMatchObject({ members: ['a', 'c'] })
  })

  it('leaves lists, sorted sets and streams to a fresh read', () => {
    const list: KeyValue = { ...meta, type: 'list', length: 1, values: ['x'], start: 0, stop: 199 }
    expect(applyLocally(list, { add: ['y'] }, list)).toBeNull()
  })

  it('recognises an edit that removed the key', () => {
    expect(wasDeleted({ deleted: true })).toBe(true)
    expect(wasDeleted({ ...meta, type: 'set', length: 1, members: ['a'], cursor: '0' })).toBe(false)
  })
})
