// "Create Database" and "Create Collection". MongoDB has no empty databases, so a database is
// created with its first collection. A collection can be capped (size in bytes, optional maximum
// of documents) and have a JSON Schema or query validator, checked as Extended JSON before sending.
import { useState, type FormEvent, type ReactNode } from 'react'
import { mongodb, type MongoConn, type NewCollectionOptions } from '../api'
import type { Checked, JsonObject } from './ejson'
import { checkObject, type Read } from './shell'
import { MongoError } from './errors'
import { JsonTextArea, useChecked } from './JsonTextArea'

/** Why MongoDB would refuse a database name, or null (the server checks the same). */
export function databaseNameProblem(name: string): string | null {
  if (name === '') return 'A database needs a name.'
  if (name.length > 63) return 'A database name has at most 63 characters.'
  const bad = [...name].find((c) => '/\\. "$*<>:|?\0'.includes(c))
  return bad === undefined ? null : `A database name cannot contain ${bad === ' ' ? 'spaces' : `"${bad}"`}.`
}

/** Why MongoDB would refuse a collection name, or null. */
export function collectionNameProblem(name: string): string | null {
  if (name === '') return 'A collection needs a name.'
  if (name.length > 255) return 'A collection name has at most 255 characters.'
  if (name.includes('$')) return 'A collection name cannot contain "$".'
  if (name.startsWith('system.')) return 'Names starting with "system." are reserved by MongoDB.'
  return null
}

function Dialog({ title, onSubmit, onCancel, busy, valid, children, wide }: {
  title: string
  onSubmit: () => void
  onCancel: () => void
  busy: boolean
  valid: boolean
  children: ReactNode
  wide?: boolean
}) {
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (valid && !busy) onSubmit()
  }
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && onCancel()}>
      <form className={wide ? 'dialog card wide' : 'dialog card'} role="dialog" aria-modal="true" aria-label={title} noValidate onSubmit={submit}>
        <h2>{title}</h2>
        {children}
        <div className="buttons">
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!valid || busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </div>
  )
}

export function CreateDatabaseDialog({ at, onCreated, onCancel }: { at: MongoConn; onCreated: (db: string, collection: string) => void; onCancel: () => void }) {
  const [name, setName] = useState('')
  const [collection, setCollection] = useState('')
  const [touched, setTouched] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const problem = databaseNameProblem(name) ?? collectionNameProblem(collection)

  const create = async () => {
    setBusy(true)
    setError(null)
    try {
      await mongodb.createDatabase(at, name, collection)
      onCreated(name, collection)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  return (
    <Dialog title="Create Database" onSubmit={() => void create()} onCancel={onCancel} busy={busy} valid={problem === null}>
      <label>
        Database name
        <input name="database-name" value={name} autoFocus onChange={(e) => { setName(e.target.value); setTouched(true) }} placeholder="myapp" />
      </label>
      <label>
        First collection <span className="muted small">(MongoDB creates a database with its first collection)</span>
        <input name="collection-name" value={collection} onChange={(e) => { setCollection(e.target.value); setTouched(true) }} placeholder="users" />
      </label>
      {touched && problem && <p className="json-problem-line">{problem}</p>}
      <MongoError error={error} onDismiss={() => setError(null)} />
    </Dialog>
  )
}

const NO_VALIDATOR: Checked<Read<JsonObject>> = { ok: true, value: { ejson: '{}', value: {} } }

function checkValidator(text: string): Checked<Read<JsonObject>> {
  return text.trim() === '' ? NO_VALIDATOR : checkObject(text, 'a validator')
}

const VALIDATOR_HINT = '{\n  "$jsonSchema": {\n    "bsonType": "object",\n    "required": ["name"]\n  }\n}'

export function CreateCollectionDialog({ at, db, onCreated, onCancel }: { at: MongoConn; db: string; onCreated: (collection: string) => void; onCancel: () => void }) {
  const [name, setName] = useState('')
  const [capped, setCapped] = useState(false)
  const [size, setSize] = useState('')
  const [max, setMax] = useState('')
  const [validator, setValidator] = useState('')
  const [level, setLevel] = useState<'' | 'off' | 'strict' | 'moderate'>('')
  const [action, setAction] = useState<'' | 'error' | 'warn'>('')
  const [touched, setTouched] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const { checked, current } = useChecked(validator, checkValidator)

  const sizeBytes = Number(size)
  const maxDocs = max.trim() === '' ? undefined : Number(max)
  const problem =
    collectionNameProblem(name) ??
    (capped && !(Number.isInteger(sizeBytes) && sizeBytes > 0) ? 'A capped collection needs a size in bytes above zero.' : null) ??
    (capped && maxDocs !== undefined && !(Number.isInteger(maxDocs) && maxDocs > 0) ? 'The maximum of documents is a whole number above zero.' : null)
  const valid = problem === null && checked.ok && current
  const hasValidator = validator.trim() !== ''

  const create = async () => {
    setBusy(true)
    setError(null)
    const options: NewCollectionOptions = {}
    if (capped) {
      options.capped = true
      options.size = sizeBytes
      if (maxDocs !== undefined) options.max = maxDocs
    }
    if (hasValidator && level) options.validationLevel = level
    if (hasValidator && action) options.validationAction = action
    try {
      await mongodb.createCollection(at, db, name, options, hasValidator && checked.ok ? checked.value.ejson : undefined)
      onCreated(name)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  return (
    <Dialog title={`Create Collection in ${db}`} onSubmit={() => void create()} onCancel={onCancel} busy={busy} valid={valid} wide>
      <label>
        Collection name
        <input name="collection-name" value={name} autoFocus onChange={(e) => { setName(e.target.value); setTouched(true) }} placeholder="orders" />
      </label>
      <label className="check">
        <input type="checkbox" name="capped" checked={capped} onChange={(e) => setCapped(e.target.checked)} /> Capped (fixed size; the oldest
        documents make room for new ones)
      </label>
      {capped && (
        <div className="index-options">
          <label>
            Size (bytes)
            <input name="capped-size" type="number" min={1} value={size} onChange={(e) => setSize(e.target.value)} placeholder="1048576" />
          </label>
          <label>
            Maximum documents <span className="muted small">(optional)</span>
            <input name="capped-max" type="number" min={1} value={max} onChange={(e) => setMax(e.target.value)} />
          </label>
        </div>
      )}
      <div className="field-label">
        Validator <span className="muted small">(optional: a query or {'{"$jsonSchema": …}'} every document must match)</span>
      </div>
      <JsonTextArea name="validator" label="Validator" value={validator} onChange={setValidator} checked={current ? checked : null} rows={6} placeholder={VALIDATOR_HINT} />
      {hasValidator && (
        <div className="index-options">
          <label>
            Validation level
            <select name="validation-level" value={level} onChange={(e) => setLevel(e.target.value as typeof level)}>
              <option value="">default (strict)</option>
              <option value="strict">strict: every insert and update</option>
              <option value="moderate">moderate: skip documents that were already invalid</option>
              <option value="off">off</option>
            </select>
          </label>
          <label>
            Validation action
            <select name="validation-action" value={action} onChange={(e) => setAction(e.target.value as typeof action)}>
              <option value="">default (error)</option>
              <option value="error">error: refuse invalid documents</option>
              <option value="warn">warn: accept them and log a warning</option>
            </select>
          </label>
        </div>
      )}
      {touched && problem && <p className="json-problem-line">{problem}</p>}
      <MongoError error={error} onDismiss={() => setError(null)} />
    </Dialog>
  )
}
