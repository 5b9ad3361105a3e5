// The rows of a query result in a scrolling box of its own: only the rows in view (and a few around
// them) are in the DOM, so 10,000 rows scroll like 20. Columns start as wide as their content (up to
// a limit; a cut value has its whole text as a tooltip) and can be dragged wider or narrower.
import { useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { SqlRow } from '../api'
import { MIN_COLUMN, SAMPLE_ROWS, useColumnResize, widthFor } from './columnWidths'
import { cellText } from './sql'

/** Fixed row height in pixels (cells are one line, cut with an ellipsis; the title has it all). */
const ROW_HEIGHT = 29
const OVERSCAN = 10
const VIEW_HEIGHT = 420

/** The column names of a result, in the order of its first row (the server keeps column order). */
export function columnsOf(rows: SqlRow[]): string[] {
  return rows.length > 0 ? Object.keys(rows[0]!) : []
}

/** Each column's starting width: its longest text (name or value) among the first rows. */
export function contentWidths(columns: string[], rows: SqlRow[]): number[] {
  const sample = rows.slice(0, SAMPLE_ROWS)
  return columns.map((c) => widthFor([c + ' ', ...sample.map((row) => cellText(row[c]).text)]))
}

export function ResultGrid({ rows }: { rows: SqlRow[] }) {
  const box = useRef<HTMLDivElement | null>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(VIEW_HEIGHT)
  const columns = columnsOf(rows)

  useLayoutEffect(() => {
    const node = box.current
    if (!node) return
    setHeight(node.clientHeight || VIEW_HEIGHT)
    node.scrollTop = 0
    setScrollTop(0)
  }, [rows])

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN)
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN)
  const sized = useMemo(() => contentWidths(columnsOf(rows), rows), [rows])
  const { dragged, start: startResize } = useColumnResize()
  const widths = columns.map((c, i) => dragged[c] ?? sized[i] ?? MIN_COLUMN)
  const template = `56px ${widths.map((w) => `${w}px`).join(' ')}`
  const minWidth = 56 + widths.reduce((a, b) => a + b, 0)
  return (
    <div
      className="result-grid"
      ref={box}
      role="table"
      aria-rowcount={rows.length}
      aria-colcount={columns.length}
      style={{ maxHeight: VIEW_HEIGHT }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div role="row" className="rg-row rg-head" style={{ gridTemplateColumns: template, minWidth }}>
        <span role="columnheader" className="rg-num">
          #
        </span>
        {columns.map((c, i) => (
          <span role="columnheader" key={c} title={c}>
            {c}
            <span className="rg-resize" role="separator" aria-label={`Resize column ${c}`} onPointerDown={startResize(c, widths[i]!)} />
          </span>
        ))}
      </div>
      <div role="rowgroup" className="rg-body" style={{ height: rows.length * ROW_HEIGHT, minWidth }}>
        {rows.slice(first, last).map((row, i) => {
          const index = first + i
          return (
            <div
              role="row"
              key={index}
              aria-rowindex={index + 1}
              className="rg-row"
              style={{ top: index * ROW_HEIGHT, gridTemplateColumns: template, height: ROW_HEIGHT }}
            >
              <span className="rg-num">{index + 1}</span>
              {columns.map((c) => {
                const { text, isNull } = cellText(row[c])
                const shown = text.length > 500 ? text.slice(0, 500) + '…' : text
                return (
                  <span role="cell" key={c} className={isNull ? 'null' : undefined} title={isNull ? 'NULL' : text.slice(0, 2000)}>
                    {shown}
                  </span>
                )
              })}
            </div>
          )
        })}
      </div>
    </div>
  )
}
