// One document as an expandable tree: nested documents and arrays open one level at a time (only
// opened levels are rendered, long arrays 100 elements at a time), and one field's value can be
// edited on its own, with its BSON type (./fieldValue): it is sent as
// `{"$set": {"<path>": <value>}}` through the document's update route (which takes operators).
import { useState } from 'react'
import type { MongoDocument } from '../api'
import { compactText, typeName, type Json, type JsonObject } from './ejson'
import { FIELD_TYPES, fieldStart, fieldValue, type FieldType } from './fieldValue'

const STEP = 100

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Children of a nested value that the tree can open: documents (not type wrappers) and arrays. */
function childrenOf(v: Json): [string, Json][] | null {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x])
  if (isObject(v) && typeName(v) === 'object') return Object.entries(v)
  return null
}

/** Why a path cannot be `$set`, or null. */
function pathProblem(path: string[]): string | null {
  if (path[0] === '_id') return 'The _id of a stored document cannot change'
  if (path.some((p) => p.includes('.') || p.startsWith('$') || p === '')) {
    return 'A field name with a dot, a leading $ or no name cannot be set on its own: edit the whole document'
  }
  return null
}

interface Props {
  doc: MongoDocument
  /** Whether the user may write; without it the tree is read-only. */
  writable: boolean
  /** Sends `{"$set": {path: value}}` (canonical Extended JSON); rejects with an error to show. */
  setField: (path: string, valueEjson: string) => Promise<void>
  onClose: () => void
  /** A field path to show opened (the cell that was clicked). */
  focus?: string
}

function FieldEditor({ initial, onSave, onCancel }: { initial: Json; onSave: (ejson: string) => Promise<void>; onCancel: () => void }) {
  const [start] = useState(() => fieldStart(initial))
  const [type, setType] = useState<FieldType>(start.type)
  const [text, setText] = useState(start.text)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const read = fieldValue(type, text)
  const save = async () => {
    if (!read.ok || busy) return
    setBusy(true)
    setError(null)
    try {
      await onSave(read.value.ejson)
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
      setBusy(false)
    }
  }
  return (
    <span className="field-editor">
      <select aria-label="Type" value={type} onChange={(e) => setType(e.target.value as FieldType)}>
        {FIELD_TYPES.map((t) => (
          <option key={t}>{t}</option>
        ))}
      </select>
      <input
        disabled={type === 'Null'}
        aria-label="New value"
        className={`mono${read.ok ? '' : ' invalid'}`}
        value={text}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void save()
          if (e.key === 'Escape') onCancel()
        }}
        autoFocus
      />
      <button type="button" className="small-button primary" disabled={!read.ok || busy} onClick={() => void save()}>
        {busy ? 'Saving…' : 'Set'}
      </button>
      <button type="button" className="small-button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      {!read.ok && <span className="json-problem-line">{read.problem.message}</span>}
      {error && <span className="error-text">{error}</span>}
    </span>
  )
}

function Node({ name, value, path, depth, props }: { name: string; value: Json; path: string[]; depth: number; props: Props }) {
  const here = path.join('.')
  const [open, setOpen] = useState(props.focus !== undefined && (props.focus === here || props.focus.startsWith(`${here}.`)))
  const [shown, setShown] = useState(STEP)
  const [editing, setEditing] = useState(false)
  const children = childrenOf(value)
  const type = typeName(value)
  const problem = pathProblem(path)
  const canEdit = props.writable && props.doc.id !== null && problem === null
  return (
    <li data-path={path.join('.')}>
      <div className="tree-row">
        {children ? (
          <button type="button" className="link twisty" aria-expanded={open} aria-label={`${open ? 'Collapse' : 'Expand'} ${path.join('.')}`} onClick={() => setOpen(!open)}>
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span className="twisty" />
        )}
        <span className="mono field-name">{name}</span>
        <span className="muted small field-type">{type}</span>
        {editing ? (
          <FieldEditor
            initial={value}
            onCancel={() => setEditing(false)}
            onSave={async (ejson) => {
              await props.setField(path.join('.'), ejson)
              setEditing(false)
            }}
          />
        ) : (
          <>
            <span className={`mono field-value v-${type}`} title={compactText(value, 1500)}>
              {children ? (Array.isArray(value) ? `[${value.length}]` : `{${children.length} fields}`) : compactText(value, 200)}
            </span>
            {props.writable && (
              <button
                type="button"
                className="link small"
                disabled={!canEdit}
                title={problem ?? (props.doc.id === null ? 'This document has no _id here' : `Set ${path.join('.')} alone`)}
                onClick={() => setEditing(true)}
              >
                Edit
              </button>
            )}
          </>
        )}
      </div>
      {children && open && (
        <ul className="doc-tree">
          {children.slice(0, shown).map(([k, v]) => (
            <Node key={k} name={k} value={v} path={[...path, k]} depth={depth + 1} props={props} />
          ))}
          {children.length > shown && (
            <li>
              <button type="button" className="link small" onClick={() => setShown(shown + STEP)}>
                Show {Math.min(STEP, children.length - shown)} more of {children.length - shown}
              </button>
            </li>
          )}
        </ul>
      )}
    </li>
  )
}

export function DocumentInspector(props: Props) {
  const value = props.doc.value
  const entries = isObject(value) ? Object.entries(value) : []
  return (
    <section className="card doc-inspector" aria-label="Document fields">
      <div className="toolbar">
        <h3 className="mono">{isObject(value) && value._id !== undefined ? compactText(value._id, 80) : 'Document'}</h3>
        <span className="spacer" />
        <button type="button" className="small-button" onClick={props.onClose}>
          Close
        </button>
      </div>
      <ul className="doc-tree root">
        {entries.map(([k, v]) => (
          <Node key={k} name={k} value={v} path={[k]} depth={1} props={props} />
        ))}
      </ul>
    </section>
  )
}
