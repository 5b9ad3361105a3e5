import { describe, expect, it } from 'vitest'
import { areaPath, linePath, niceBytes, niceMax, span, toXY, trim, type Frame } from './chart'

describe('chart scaling', () => {
  it('rounds the top of the axis up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1)
    expect(niceMax(0.3)).toBe(1)
    expect(niceMax(1)).toBe(1)
    expect(niceMax(1.2)).toBe(2)
    expect(niceMax(3)).toBe(5)
    expect(niceMax(73)).toBe(100)
    expect(niceMax(100)).toBe(100)
    expect(niceMax(1234)).toBe(2000)
    expect(niceMax(5_000_001)).toBe(10_000_000)
    expect(niceMax(Number.NaN)).toBe(1)
    expect(niceMax(2, 10)).toBe(10)
  })

  it('rounds a byte axis in binary units', () => {
    expect(niceBytes(1.5 * 1024 * 1024)).toBe(2 * 1024 * 1024)
    expect(niceBytes(700 * 1024)).toBe(1000 * 1024)
    expect(niceBytes(3 * 1024 ** 3)).toBe(5 * 1024 ** 3)
    expect(niceBytes(300)).toBe(500)
  })

  it('spans the time the points cover, within bounds', () => {
    const at = (...ts: number[]) => ts.map((t) => ({ t, v: 0 }))
    expect(span([], 30_000, 300_000)).toBe(30_000)
    expect(span(at(0, 2000), 30_000, 300_000)).toBe(30_000)
    expect(span(at(0, 120_000), 30_000, 300_000)).toBe(120_000)
    expect(span(at(0, 900_000), 30_000, 300_000)).toBe(300_000)
  })

  it('keeps only the points inside the window', () => {
    const points = [0, 1000, 2000, 3000].map((t) => ({ t, v: t }))
    expect(trim(points, 3000, 1500)).toEqual([
      { t: 2000, v: 2000 },
      { t: 3000, v: 3000 },
    ])
    expect(trim(points, 3000, 10_000)).toBe(points)
  })

  it('maps time to x from the right edge and value to y from the bottom', () => {
    const f: Frame = { width: 300, height: 80, now: 10_000, windowMs: 10_000, top: 100 }
    expect(toXY({ t: 10_000, v: 0 }, f)).toEqual([300, 80])
    expect(toXY({ t: 0, v: 100 }, f)).toEqual([0, 0])
    expect(toXY({ t: 5000, v: 50 }, f)).toEqual([150, 40])
    // A value above the top is drawn at the top, not off the chart.
    expect(toXY({ t: 5000, v: 500 }, f)[1]).toBe(0)
    expect(toXY({ t: 5000, v: 5 }, { ...f, top: 0 })[1]).toBe(80)
  })

  it('draws a path through the points and closes the area under it', () => {
    const f: Frame = { width: 100, height: 10, now: 2000, windowMs: 2000, top: 10 }
    const points = [
      { t: 1000, v: 0 },
      { t: 2000, v: 10 },
    ]
    expect(linePath(points, f)).toBe('M50,10 L100,0')
    expect(areaPath(points, f)).toBe('M50,10 L100,0 L100,10 L50,10 Z')
    expect(linePath([], f)).toBe('')
    expect(areaPath(points.slice(0, 1), f)).toBe('')
  })
})
