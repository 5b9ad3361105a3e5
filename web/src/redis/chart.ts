// The arithmetic of the live charts: which samples are in the window, the top of the y axis, and
// the SVG path of a series. Pure, so it is tested without a browser.

export interface Point {
  /** Milliseconds since the epoch. */
  t: number
  v: number
}

/** The points of the last `windowMs` before `now` (older ones are dropped, in order). */
export function trim(points: Point[], now: number, windowMs: number): Point[] {
  const from = now - windowMs
  let first = 0
  while (first < points.length && (points[first] as Point).t < from) first++
  return first === 0 ? points : points.slice(first)
}

/**
 * A round top for the y axis at or above `max`: 1, 2 or 5 times a power of ten (`73` → 100,
 * `1234` → 2000). Never below `floor`, so a flat zero line still has an axis.
 */
export function niceMax(max: number, floor = 1): number {
  const m = Math.max(max, floor)
  if (!Number.isFinite(m) || m <= 0) return floor
  const power = 10 ** Math.floor(Math.log10(m))
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= m) return step * power
  }
  return 10 * power
}

/**
 * The time the x axis spans: the time the points cover, at least `minMs` (so the first samples do
 * not stretch across the whole chart) and at most `maxMs` (then the chart scrolls).
 */
export function span(points: Point[], minMs: number, maxMs: number): number {
  const first = points[0]
  const last = points[points.length - 1]
  const covered = first && last ? last.t - first.t : 0
  return Math.min(maxMs, Math.max(minMs, covered))
}

/** `niceMax` for bytes: round in the binary unit of the value (1.5 MiB → 2 MiB, not 1.9 MiB). */
export function niceBytes(max: number): number {
  if (!Number.isFinite(max) || max <= 1024) return niceMax(max)
  const unit = 1024 ** Math.floor(Math.log(max) / Math.log(1024))
  return niceMax(max / unit) * unit
}

export interface Frame {
  width: number
  height: number
  /** Time at the right edge. */
  now: number
  windowMs: number
  /** Value at the top edge. */
  top: number
}

/** Pixel position of a point: time left to right over the window, value bottom to top. */
export function toXY(p: Point, f: Frame): [number, number] {
  const x = f.width - ((f.now - p.t) / f.windowMs) * f.width
  const y = f.height - (f.top > 0 ? Math.min(p.v, f.top) / f.top : 0) * f.height
  return [round(x), round(y)]
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

/** The `d` of an SVG path through the points (empty for none). */
export function linePath(points: Point[], f: Frame): string {
  return points
    .map((p, i) => {
      const [x, y] = toXY(p, f)
      return `${i === 0 ? 'M' : 'L'}${x},${y}`
    })
    .join(' ')
}

/** The same line closed down to the x axis, to fill the area under it. */
export function areaPath(points: Point[], f: Frame): string {
  if (points.length < 2) return ''
  const [x0] = toXY(points[0] as Point, f)
  const [x1] = toXY(points[points.length - 1] as Point, f)
  return `${linePath(points, f)} L${x1},${f.height} L${x0},${f.height} Z`
}
