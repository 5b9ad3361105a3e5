// The rows of a table in a scrolling box, virtualized with @tanstack/react-virtual: only the rows
// in view (and a few around them) are in the DOM. Headers sort; a cell opens its editor on
// double-click or Enter; a foreign-key cell has a link to the row it points at.
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, type ReactNode } from 'react'
import type { PgRow, RowColumn } from '../../api'
import { MIN_COLUMN, SAMPLE_ROWS, useColumnResize, widthFor } from '../columnWidths'
import { cellDisplay } from './cells'
import type { Sort } from './query'

const ROW_HEIGHT = 32
const SELECT_WIDTH = 40

interface Props {
  columns: RowColumn[]
  rows: PgRow[]
  sort: Sort[]
  onSort: (column: string) => void
  /** Why cells cannot be edited, or null when they can. */
  readOnlyReason: string | null
  onEdit: (index: number, column: RowColumn) => void
  onFollow: (column: RowColumn, value: unknown) => void
  selected: Set<number>
  onSelect: (index: number, on: boolean) => void
  onVisibleEnd: (index: number) => void
  /** Shown under the last row: loading, the end, an error. */
  footer: ReactNode
}

export function RowGrid({ columns, rows, sort, onSort, readOnlyReason, onEdit, onFollow, selected, onSelect, onVisibleEnd, footer }: Props) {
  const box = useRef<HTMLDivElement | null>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => box.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    // jsdom and the first paint have no layout yet: assume a box of a screenful.
    initialRect: { width: 1000, height: 600 },
  })
  const items = virtualizer.getVirtualItems()
  const lastIndex = items.length > 0 ? items[items.length - 1]!.index : -1
  useEffect(() => {
    if (rows.length > 0) onVisibleEnd(lastIndex)
  }, [lastIndex, rows.length, onVisibleEnd])

  // Sized to the name, the type and the first page's values; dragged widths win.
  const first = rows[0]
  const sized = useMemo(
    () => columns.map((c) => widthFor([c.name + (c.primary_key ? '    ' : ''), c.type, ...rows.slice(0, SAMPLE_ROWS).map((r) => cellDisplay(r[c.name]).text)])),
    // The first page decides; later pages do not make columns jump.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [columns, first],
  )
  const { dragged, start } = useColumnResize()
  const widths = columns.map((c, i) => dragged[c.name] ?? sized[i] ?? MIN_COLUMN)
  const template = `${SELECT_WIDTH}px ${widths.map((w) => `${w}px`).join(' ')}`
  const width = SELECT_WIDTH + widths.reduce((a, b) => a + b, 0)
  return (
    <div className="row-grid" ref={box} role="grid" aria-rowcount={rows.length + 1} aria-colcount={columns.length + 1}>
      <div role="row" className="rg2-row rg2-head" style={{ gridTemplateColumns: template, width }}>
        <span role="columnheader" aria-label="Select" />
        {columns.map((c, i) => {
          const s = sort.find((x) => x.column === c.name)
          return (
            <span role="columnheader" key={c.name} className="rg2-header" aria-sort={s ? (s.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
              <button type="button" className="link header-button" title={`${c.name} · ${c.type} — click to sort`} onClick={() => onSort(c.name)} data-column={c.name}>
                {c.primary_key && (
                  <span className="badge pk" title="Primary key">
                    PK
                  </span>
                )}
                <span className="mono">{c.name}</span>
                {s && <span aria-hidden="true">{s.dir === 'asc' ? ' ▲' : ' ▼'}</span>}
              </button>
              <span className="muted small col-type" title={c.type}>
                {c.type}
              </span>
              <span className="rg-resize" role="separator" aria-label={`Resize column ${c.name}`} onPointerDown={start(c.name, widths[i]!)} />
            </span>
          )
        })}
      </div>
      <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), width, position: 'relative' }}>
        {items.map((item) => {
          const row = rows[item.index]!
          const isSelected = selected.has(item.index)
          return (
            <div
              role="row"
              key={item.key}
              aria-rowindex={item.index + 2}
              aria-selected={isSelected}
              className={`rg2-row${isSelected ? ' selected' : ''}`}
              style={{ gridTemplateColumns: template, width, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
            >
              <span role="gridcell" className="rg2-select">
                <input
                  type="checkbox"
                  aria-label={`Select row ${item.index + 1}`}
                  checked={isSelected}
                  disabled={readOnlyReason !== null}
                  title={readOnlyReason ?? undefined}
                  onChange={(e) => onSelect(item.index, e.target.checked)}
                />
              </span>
              {columns.map((c) => {
                const { text, kind } = cellDisplay(row[c.name])
                const editable = readOnlyReason === null && c.updatable
                return (
                  <span
                    role="gridcell"
                    key={c.name}
                    tabIndex={0}
                    data-column={c.name}
                    className={`rg2-cell ${kind}`}
                    title={editable ? text.slice(0, 2000) : `${text.slice(0, 500)}\n\n${readOnlyReason ?? 'This column cannot be changed.'}`}
                    aria-readonly={!editable}
                    onDoubleClick={() => editable && onEdit(item.index, c)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' && editable) onEdit(item.index, c)
                    }}
                  >
                    <span className="cell-text">{text.length > 300 ? text.slice(0, 300) + '…' : text}</span>
                    {c.foreign_key && kind !== 'null' && (
                      <button
                        type="button"
                        className="link fk-link"
                        title={`Open the row of ${c.foreign_key.schema}.${c.foreign_key.table} where ${c.foreign_key.column} = ${text}`}
                        aria-label={`Open referenced ${c.foreign_key.table} row`}
                        onClick={() => onFollow(c, row[c.name])}
                      >
                        →
                      </button>
                    )}
                  </span>
                )
              })}
            </div>
          )
        })}
      </div>
      <div className="rg2-footer">{footer}</div>
    </div>
  )
}
