import { describe, expect, it } from 'vitest'
import type { ActivityEntry } from '../api'
import { blockedCounts, entryKey, formatDuration, rowId } from './activity'

function entry(id: string, blocked_by: string[] = [], connection_id = 'c1'): ActivityEntry {
  return {
    engine: 'postgres',
    connection_id,
    connection_name: 'main',
    id,
    user: null,
    client: null,
    what: null,
    state: null,
    active: true,
    duration_ms: null,
    blocked_by,
    kill: null,
  }
}

describe('activity helpers', () => {
  it('counts who blocks whom within one connection', () => {
    const counts = blockedCounts([entry('1'), entry('2', ['1']), entry('3', ['1', '2']), entry('1', [], 'c2')])
    expect(counts.get(entryKey({ connection_id: 'c1', id: '1' }))).toBe(2)
    expect(counts.get(entryKey({ connection_id: 'c1', id: '2' }))).toBe(1)
    expect(counts.get(entryKey({ connection_id: 'c2', id: '1' }))).toBeUndefined()
  })

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(850)).toBe('850 ms')
    expect(formatDuration(12_345)).toBe('12.3 s')
    expect(formatDuration(245_000)).toBe('4 min 05 s')
    expect(formatDuration(7_380_000)).toBe('2 h 03 min')
  })

  it('makes row ids safe for the DOM', () => {
    expect(rowId({ connection_id: 'a-b', id: '10.0.0.1:5' })).toBe('activity-a-b-10_0_0_1_5')
  })
})
