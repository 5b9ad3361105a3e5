// The Table Editor's dialogs: edit a cell, insert a row, confirm a delete, settle a conflict.
import { useEffect, useState, type ReactNode } from 'react'
import { JsonText, type PgRow, type RowColumn } from '../../api'
import { ErrorMessage } from '../../components/ErrorMessage'
import { CellEditor } from './CellEditor'
import { cellDisplay, draftOf, isGeneratedOnly, parseDraft, type Draft } from './cells'

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  useEffect(() => {
    const esc = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose()
    }
    window.addEventListener('keydown', esc)
    return () => window.removeEventListener('keydown', esc)
  }, [onClose])
  return (
    // A click outside does not close it: the second click of a double-click lands there, and a
    // stray click should not throw away what was typed. Escape and the dialog's buttons close it.
    <div className="backdrop">
      <div className={`card dialog${wide ? ' wide' : ''}`} role="dialog" aria-modal="true" aria-label={title}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  )
}

/** Edits one cell; `onSave` gets the typed value (and reports a server error by throwing). */
export function EditCellDialog({
  column,
  value,
  onSave,
  onClose,
}: {
  column: RowColumn
  value: unknown
  onSave: (value: unknown) => Promise<void>
  onClose: () => void
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(column, value))
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const save = async () => {
    const parsed = parseDraft(column, draft)
    if (!parsed.ok) return setError(new Error(parsed.error))
    setBusy(true)
    setError(null)
    try {
      await onSave(parsed.value)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }
  return (
    <Modal title={`Edit ${column.name}`} onClose={onClose}>
      <CellEditor column={column} draft={draft} onChange={setDraft} onSubmit={() => void save()} autoFocus disabled={busy} />
      <ErrorMessage error={error} />
      <div className="buttons">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={() => void save()} disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </Modal>
  )
}

/** How a column of a new row is given: by its default, or by the editor. */
interface InsertField {
  useDefault: boolean
  draft: Draft
}

function initialField(c: RowColumn): InsertField {
  const hasDefault = c.default !== null || Boolean(c.identity) || isGeneratedOnly(c)
  return { useDefault: hasDefault, draft: c.nullable ? { isNull: true, text: '' } : { isNull: false, text: '' } }
}

/** The row of the insert panel; values left to their default are not sent. */
export function rowOfFields(columns: RowColumn[], fields: Record<string, InsertField>): { ok: true; row: PgRow } | { ok: false; error: string } {
  const row: PgRow = {}
  for (const c of columns) {
    const f = fields[c.name]
    if (!f || f.useDefault) continue
    const parsed = parseDraft(c, f.draft)
    if (!parsed.ok) return { ok: false, error: parsed.error }
    row[c.name] = parsed.value
  }
  return { ok: true, row }
}

export function InsertRowDialog({ columns, onInsert, onClose }: { columns: RowColumn[]; onInsert: (row: PgRow) => Promise<void>; onClose: () => void }) {
  const [fields, setFields] = useState<Record<string, InsertField>>(() => Object.fromEntries(columns.map((c) => [c.name, initialField(c)])))
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const set = (name: string, f: InsertField) => setFields({ ...fields, [name]: f })
  const insert = async () => {
    const built = rowOfFields(columns, fields)
    if (!built.ok) return setError(new Error(built.error))
    setBusy(true)
    setError(null)
    try {
      await onInsert(built.row)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }
  return (
    <Modal title="Insert row" onClose={onClose} wide>
      <div className="insert-fields">
        {columns.map((c) => {
          const f = fields[c.name]!
          const generated = isGeneratedOnly(c)
          return (
            <div className="insert-field" key={c.name} data-field={c.name}>
              <div className="insert-label">
                <strong className="mono">{c.name}</strong>
                {c.primary_key && <span className="badge">primary key</span>}
                {!c.nullable && <span className="badge">not null</span>}
                {c.default !== null && (
                  <label className="inline small" title="Leave the value to the column's default">
                    <input type="checkbox" checked={f.useDefault} disabled={generated} onChange={(e) => set(c.name, { ...f, useDefault: e.target.checked })} />
                    default <code>{c.default}</code>
                  </label>
                )}
                {c.default === null && (c.identity || generated) && <span className="muted small">{generated ? 'generated by the database' : 'identity'}</span>}
              </div>
              {f.useDefault ? (
                <p className="muted small">The database fills this in.</p>
              ) : (
                <CellEditor column={c} draft={f.draft} onChange={(draft) => set(c.name, { ...f, draft })} />
              )}
            </div>
          )
        })}
      </div>
      <ErrorMessage error={error} />
      <div className="buttons">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={() => void insert()} disabled={busy}>
          {busy ? 'Inserting…' : 'Insert row'}
        </button>
      </div>
    </Modal>
  )
}

/** A save refused because the row changed meanwhile: both values, then reload or overwrite. */
export function ConflictDialog({
  mine,
  current,
  onReload,
  onOverwrite,
  onClose,
}: {
  mine: PgRow
  current: PgRow | null
  onReload: () => void
  onOverwrite: () => Promise<void>
  onClose: () => void
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const overwrite = async () => {
    setBusy(true)
    setError(null)
    try {
      await onOverwrite()
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }
  return (
    <Modal title="This row changed since you loaded it" onClose={onClose} wide>
      {current === null ? (
        <p>Someone deleted the row meanwhile; your change was not saved.</p>
      ) : (
        <>
          <p>Nothing was saved. The row now holds other values than the ones you started from:</p>
          <table className="grid compact conflict">
            <thead>
              <tr>
                <th>Column</th>
                <th>Yours</th>
                <th>Current</th>
              </tr>
            </thead>
            <tbody>
              {Object.keys(mine).map((c) => (
                <tr key={c}>
                  <td className="mono">{c}</td>
                  <td className="mono" data-side="mine">{shown(mine[c])}</td>
                  <td className="mono" data-side="current">{shown(current[c])}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <details>
            <summary className="small">The whole current row</summary>
            <pre className="value">{JSON.stringify(current, null, 2)}</pre>
          </details>
        </>
      )}
      <ErrorMessage error={error} />
      <div className="buttons">
        <button type="button" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" onClick={onReload} disabled={busy}>
          Reload
        </button>
        {current !== null && (
          <button type="button" className="danger" onClick={() => void overwrite()} disabled={busy}>
            {busy ? 'Saving…' : 'Overwrite with mine'}
          </button>
        )}
      </div>
    </Modal>
  )
}

function shown(value: unknown): string {
  if (value instanceof JsonText) return value.text
  return cellDisplay(value).text
}
