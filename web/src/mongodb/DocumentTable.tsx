// The documents of a page as a table: one column per top-level field seen on the page (`_id`
// first), nested values on one line, cut to what a cell shows (the whole value in the tooltip; a
// nested document or array opens in the field tree). Columns start at the width of their content
// and can be dragged wider or narrower. Rows are fixed-height and only those in view are in the
// DOM, so the largest page scrolls like a short one.
import { useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { MongoDocument } from '../api'
import { compactText, fieldsOf, typeName, type Json, type JsonObject } from './ejson'

const ROW_HEIGHT = 33
const OVERSCAN = 8
const VIEW_HEIGHT = 480
const ACTIONS_WIDTH = 210
/** Average width of a monospace character at the table's font size, for sizing columns to content. */
const CHAR_PX = 7.8
const MIN_COLUMN = 70
const MAX_COLUMN = 420
/** Rows sampled to size the columns: enough to see the usual width, cheap on a 200-row page. */
const SAMPLE = 50

function fieldOf(doc: Json, field: string): Json | undefined {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && Object.hasOwn(doc, field)
    ? (doc as JsonObject)[field]
    : undefined
}

interface Props {
  documents: MongoDocument[]
  /** The first document's position in the whole result (for the row numbers). */
  offset: number
  /** The buttons of a row (edit, delete). */
  actions: (doc: MongoDocument) => ReactNode
  /** Opens a document's field tree at `field` (a nested value was clicked). */
  onInspect?: (doc: MongoDocument, field: string) => void
}

function isNested(v: Json): boolean {
  return Array.isArray(v) || (typeof v === 'object' && v !== null && typeName(v) === 'object')
}

/** Starting widths: each column as wide as its header or its widest sampled value, within bounds. */
function contentWidths(documents: MongoDocument[], fields: string[]): number[] {
  return fields.map((f) => {
    let chars = f.length + 1
    for (const doc of documents.slice(0, SAMPLE)) {
      const v = fieldOf(doc.value, f)
      if (v !== undefined) chars = Math.max(chars, compactText(v, 60).length)
    }
    return Math.round(Math.min(MAX_COLUMN, Math.max(MIN_COLUMN, chars * CHAR_PX + 20)))
  })
}

export function DocumentTable({ documents, offset, actions, onInspect }: Props) {
  const box = useRef<HTMLDivElement | null>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(VIEW_HEIGHT)
  const { fields, more } = useMemo(() => fieldsOf(documents.map((d) => d.value)), [documents])
  const initialWidths = useMemo(() => contentWidths(documents, fields), [documents, fields])
  // Widths the user dragged, by field name, kept across pages.
  const [dragged, setDragged] = useState<Record<string, number>>({})
  const widths = fields.map((f, i) => dragged[f] ?? initialWidths[i]!)

  const startResize = (field: string, startX: number, startWidth: number) => {
    const move = (e: PointerEvent) =>
      setDragged((d) => ({ ...d, [field]: Math.max(MIN_COLUMN - 30, Math.round(startWidth + e.clientX - startX)) }))
    const up = () => {
      window.removeEventListener('pointermove', move)
      window.removeEventListener('pointerup', up)
    }
    window.addEventListener('pointermove', move)
    window.addEventListener('pointerup', up)
  }

  useLayoutEffect(() => {
    const node = box.current
    if (!node) return
    setHeight(node.clientHeight || VIEW_HEIGHT)
    node.scrollTop = 0
    setScrollTop(0)
  }, [documents])

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN)
  const last = Math.min(documents.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN)
  const template = `48px ${ACTIONS_WIDTH}px ${widths.map((w) => `${w}px`).join(' ')}`
  const minWidth = 48 + ACTIONS_WIDTH + widths.reduce((a, b) => a + b, 0)

  return (
    <>
      <div
        className="doc-table"
        ref={box}
        role="table"
        aria-label="Documents"
        aria-rowcount={documents.length}
        style={{ maxHeight: VIEW_HEIGHT }}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <div role="row" className="dt-row dt-head" style={{ gridTemplateColumns: template, minWidth }}>
          <span role="columnheader" className="dt-num">
            #
          </span>
          <span role="columnheader" />
          {fields.map((f, i) => (
            <span role="columnheader" key={f} title={f} className="mono dt-header">
              {f}
              <span
                className="col-resizer"
                role="separator"
                aria-orientation="vertical"
                aria-label={`Resize the column ${f}`}
                onPointerDown={(e) => {
                  e.preventDefault()
                  startResize(f, e.clientX, widths[i]!)
                }}
                onDoubleClick={() => setDragged((d) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== f)))}
              />
            </span>
          ))}
        </div>
        <div role="rowgroup" className="dt-body" style={{ height: documents.length * ROW_HEIGHT, minWidth }}>
          {documents.slice(first, last).map((doc, i) => {
            const index = first + i
            return (
              <div
                role="row"
                key={`${index}:${doc.id ?? ''}`}
                data-id={doc.id ?? undefined}
                aria-rowindex={index + 1}
                className="dt-row"
                style={{ top: index * ROW_HEIGHT, gridTemplateColumns: template, height: ROW_HEIGHT }}
              >
                <span className="dt-num">{offset + index + 1}</span>
                <span className="dt-actions">{actions(doc)}</span>
                {fields.map((f) => {
                  const value = fieldOf(doc.value, f)
                  if (value === undefined) return <span role="cell" key={f} className="missing" title="No such field" />
                  const type = typeName(value)
                  if (onInspect && isNested(value)) {
                    return (
                      <span role="cell" key={f} className={`v-${type}`} title={`${type}: ${compactText(value, 1500)}`}>
                        <button type="button" className="link cell-expand" onClick={() => onInspect(doc, f)} aria-label={`Expand ${f}`}>
                          ▸ {compactText(value, 160)}
                        </button>
                      </span>
                    )
                  }
                  return (
                    <span role="cell" key={f} className={`v-${type}`} title={`${type}: ${compactText(value, 1500)}`}>
                      {compactText(value, 160)}
                    </span>
                  )
                })}
              </div>
            )
          })}
        </div>
      </div>
      {more > 0 && (
        <p className="muted small">
          {more} more {more === 1 ? 'field is' : 'fields are'} not shown as columns; the JSON view shows every field.
        </p>
      )}
    </>
  )
}
