import { describe, expect, it } from 'vitest'
import { Ring } from './ring'

describe('Ring', () => {
  it('keeps the newest items up to its capacity, newest first', () => {
    const ring = new Ring<number>(3)
    expect(ring.newestFirst()).toEqual([])
    for (let i = 1; i <= 5; i++) ring.push(i)
    expect(ring.size).toBe(3)
    expect(ring.total).toBe(5)
    expect(ring.dropped).toBe(2)
    expect(ring.newestFirst()).toEqual([5, 4, 3])
    expect(ring.newest(0)).toBe(5)
    expect(ring.newest(2)).toBe(3)
    expect(ring.newest(3)).toBeUndefined()
    expect(ring.newest(-1)).toBeUndefined()
  })

  it('stays bounded under a flood and clears', () => {
    const ring = new Ring<{ n: number }>(1000)
    for (let n = 0; n < 100_000; n++) ring.push({ n })
    expect(ring.size).toBe(1000)
    expect(ring.newest(0)).toEqual({ n: 99_999 })
    expect(ring.newest(999)).toEqual({ n: 99_000 })
    ring.clear()
    expect(ring.size).toBe(0)
    expect(ring.total).toBe(0)
    ring.push({ n: 1 })
    expect(ring.newestFirst()).toEqual([{ n: 1 }])
  })

  it('refuses a capacity below one', () => {
    expect(() => new Ring(0)).toThrow()
  })
})
