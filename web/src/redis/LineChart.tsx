// A small live line chart in plain SVG: the last few minutes of one series, its current value and
// the top of its scale. No chart library: three lines of arithmetic (chart.ts) cover what is needed.
import { areaPath, linePath, niceBytes, niceMax, span, type Frame, type Point } from './chart'

const WIDTH = 300
const HEIGHT = 80
/** The shortest time the x axis spans, while the first samples come in. */
const MIN_SPAN_MS = 30_000

/** "30 s", "2 min", "5 min". */
function ago(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`
}

export function LineChart({
  id,
  title,
  points,
  windowMs,
  format,
  bytes = false,
}: {
  /** Names the chart for tests and styles (`data-chart`). */
  id: string
  title: string
  points: Point[]
  windowMs: number
  format: (v: number) => string
  /** Round the scale in binary units. */
  bytes?: boolean
}) {
  const last = points[points.length - 1]
  const max = Math.max(0, ...points.map((p) => p.v))
  const top = bytes ? niceBytes(max) : niceMax(max)
  // The right edge is the newest sample's own time, so the server's clock and ours need not agree.
  const shown = span(points, MIN_SPAN_MS, windowMs)
  const frame: Frame = { width: WIDTH, height: HEIGHT, now: last?.t ?? 0, windowMs: shown, top }
  return (
    <figure className="chart" data-chart={id} data-samples={points.length}>
      <figcaption>
        <span>{title}</span>
        <strong className="chart-value">{last ? format(last.v) : '—'}</strong>
      </figcaption>
      <div className="chart-body">
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={`${title} over the last ${ago(shown)}`}>
          <line className="chart-grid" x1={0} y1={0.5} x2={WIDTH} y2={0.5} />
          <line className="chart-grid" x1={0} y1={HEIGHT / 2} x2={WIDTH} y2={HEIGHT / 2} />
          <line className="chart-grid" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
          {points.length > 1 && <path className="chart-area" d={areaPath(points, frame)} />}
          {points.length > 0 && <path className="chart-line" d={linePath(points, frame)} />}
        </svg>
        <span className="chart-top">{format(top)}</span>
        <span className="chart-zero">0</span>
      </div>
      <div className="chart-axis muted">
        <span>{ago(shown)} ago</span>
        <span>now</span>
      </div>
    </figure>
  )
}
