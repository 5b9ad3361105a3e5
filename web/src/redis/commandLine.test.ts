import { describe, expect, it } from 'vitest'
import { historyKey, loadHistory, remember, splitArgs, step } from './commandLine'

describe('splitArgs', () => {
  it('splits on spaces and keeps quoted spaces', () => {
    expect(splitArgs('HSET user:1 name "Ada Lovelace"')).toEqual(['HSET', 'user:1', 'name', 'Ada Lovelace'])
    expect(splitArgs("  SET k 'it\\'s'  ")).toEqual(['SET', 'k', "it's"])
    expect(splitArgs('SET k ""')).toEqual(['SET', 'k', ''])
    expect(splitArgs('SET k "a\\nb\\x41"')).toEqual(['SET', 'k', 'a\nbA'])
  })
  it('refuses an unclosed quote', () => {
    expect(() => splitArgs('GET "k')).toThrow(/quotes/)
  })
})

describe('history', () => {
  it('is kept per user and connection, capped, without repeats', () => {
    expect(historyKey('u1', 'p', undefined)).not.toEqual(historyKey('u2', 'p', undefined))
    expect(remember(['a'], 'a')).toEqual(['a'])
    expect(remember(['a'], 'b')).toEqual(['a', 'b'])
    expect(loadHistory({ getItem: () => 'not json' }, 'k')).toEqual([])
    expect(loadHistory({ getItem: () => '["a", 1, "b"]' }, 'k')).toEqual(['a', 'b'])
  })
  it('moves with the arrows within bounds', () => {
    const h = ['a', 'b']
    expect(step(h, 2, 'up')).toBe(1)
    expect(step(h, 0, 'up')).toBe(0)
    expect(step(h, 2, 'down')).toBe(2)
  })
})
