// The documents of a page as a table: one column per top-level field seen on the page (`_id`
// first), nested values on one line, cut to what a cell shows. Rows are fixed-height and only those
// in view are in the DOM, so the largest page scrolls like a short one.
import { useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { MongoDocument } from '../api'
import { compactText, fieldsOf, typeName, type Json, type JsonObject } from './ejson'

const ROW_HEIGHT = 33
const OVERSCAN = 8
const VIEW_HEIGHT = 480
const ACTIONS_WIDTH = 150

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
}

export function DocumentTable({ documents, offset, actions }: Props) {
  const box = useRef<HTMLDivElement | null>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(VIEW_HEIGHT)
  const { fields, more } = useMemo(() => fieldsOf(documents.map((d) => d.value)), [documents])

  useLayoutEffect(() => {
    const node = box.current
    if (!node) return
    setHeight(node.clientHeight || VIEW_HEIGHT)
    node.scrollTop = 0
    setScrollTop(0)
  }, [documents])

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN)
  const last = Math.min(documents.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN)
  const template = `48px ${ACTIONS_WIDTH}px ${fields.map(() => 'minmax(140px, 1fr)').join(' ')}`
  const minWidth = 48 + ACTIONS_WIDTH + fields.length * 170

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
          {fields.map((f) => (
            <span role="columnheader" key={f} title={f} className="mono">
              {f}
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
