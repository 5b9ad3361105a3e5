import { describe, expect, it } from 'vitest'
import { profileTime } from './ProfilerPanel'

describe('profileTime', () => {
  it('reads relaxed Extended JSON dates and plain values', () => {
    const at = '2026-12-03T08:00:00Z'
    expect(profileTime({ $date: at })).toBe(new Date(at).toLocaleString())
    expect(profileTime(at)).toBe(new Date(at).toLocaleString())
  })

  it('shows a dash for anything else', () => {
    expect(profileTime(null)).toBe('—')
    expect(profileTime({ $date: 'not a date' })).toBe('—')
    expect(profileTime([1])).toBe('—')
  })
})
