// The indexes of a collection: what each covers and how (unique, sparse, TTL, partial), a form to
// create one (the key pattern is Extended JSON, in order) and a confirmed drop.
import { useCallback, useState, type FormEvent } from 'react'
import { mongodb, mongodbOps, type MongoConn, type MongoIndex, type Role } from '../api'
import { ErrorMessage, errorText } from '../components/ErrorMessage'
import { formatBytes, formatCount, formatTtl } from '../format'
import { useLoad } from '../useLoad'
import { checkIndexKeys } from './shell'
import { MongoError } from './errors'
import { JsonTextArea, useChecked } from './JsonTextArea'
import { TypedConfirm } from '../components/ConfirmAction'
import { RoleButton } from './roles'

function Properties({ index }: { index: MongoIndex }) {
  const tags: string[] = []
  if (index.unique) tags.push('unique')
  if (index.sparse) tags.push('sparse')
  if (index.ttl !== null) tags.push(`TTL ${formatTtl(index.ttl)}`)
  if (index.partial_filter) tags.push('partial')
  return (
    <>
      {tags.map((t) => (
        <span key={t} className="badge index-tag" title={t === 'partial' ? JSON.stringify(index.partial_filter) : undefined}>
          {t}
        </span>
      ))}
    </>
  )
}

function CreateIndex({ at, db, collection, onCreated, onCancel }: { at: MongoConn; db: string; collection: string; onCreated: (name: string) => void; onCancel: () => void }) {
  const [keys, setKeys] = useState('{ "field": 1 }')
  const [name, setName] = useState('')
  const [unique, setUnique] = useState(false)
  const [sparse, setSparse] = useState(false)
  const [ttl, setTtl] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const { checked, current } = useChecked(keys, checkIndexKeys)
  const seconds = ttl.trim() === '' ? undefined : Number(ttl)
  const ttlValid = seconds === undefined || (Number.isInteger(seconds) && seconds >= 0)
  const valid = checked.ok && current && ttlValid

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!valid || busy || !checked.ok) return
    setBusy(true)
    setError(null)
    try {
      const created = await mongodb.createIndex(at, db, collection, checked.value.ejson, {
        name: name.trim() || undefined,
        unique: unique || undefined,
        sparse: sparse || undefined,
        expireAfterSeconds: seconds,
      })
      onCreated(created.name)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  return (
    <form className="card create-index" onSubmit={submit} aria-label="Create index">
      <h3>New index</h3>
      <JsonTextArea name="index-keys" label="Keys" value={keys} onChange={setKeys} checked={current ? checked : null} rows={3} />
      <div className="index-options">
        <label>
          Name <span className="muted small">(optional; MongoDB's default is field_1)</span>
          <input name="index-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Expire after (seconds) <span className="muted small">TTL, for a date field</span>
          <input name="expire-after-seconds" type="number" min={0} value={ttl} onChange={(e) => setTtl(e.target.value)} className={ttlValid ? '' : 'invalid'} />
        </label>
        <label className="check">
          <input type="checkbox" name="unique" checked={unique} onChange={(e) => setUnique(e.target.checked)} /> Unique
        </label>
        <label className="check">
          <input type="checkbox" name="sparse" checked={sparse} onChange={(e) => setSparse(e.target.checked)} /> Sparse
        </label>
      </div>
      <MongoError error={error} onDismiss={() => setError(null)} />
      <div className="buttons">
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!valid || busy}>
          {busy ? 'Creating…' : 'Create'}
        </button>
      </div>
    </form>
  )
}

export function IndexesTab({ at, db, collection, role }: { at: MongoConn; db: string; collection: string; role: Role | undefined }) {
  const load = useCallback(() => mongodb.indexes(at, db, collection), [at, db, collection])
  const indexes = useLoad(load, [load])
  // Usage ($indexStats) is a second, optional answer: a server without it still lists its indexes.
  const loadUsage = useCallback(() => mongodbOps.indexStats(at, db, collection), [at, db, collection])
  const usage = useLoad(loadUsage, [loadUsage])
  const uses = new Map((usage.data ?? []).map((u) => [u.name, u]))
  const [creating, setCreating] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [dropping, setDropping] = useState<MongoIndex | null>(null)

  /** Runs from the typed confirmation, which shows a failure and stays open. */
  const drop = async (name: string) => {
    setError(null)
    await mongodb.dropIndex(at, db, collection, name)
    setDropping(null)
    setNotice(`Index ${name} dropped.`)
    indexes.reload()
  }

  const list = indexes.data ?? []
  return (
    <div className="indexes-tab">
      <div className="toolbar">
        <RoleButton need="write" role={role} className="primary" onClick={() => setCreating(true)} disabled={creating}>
          Create Index
        </RoleButton>
        <button
          type="button"
          className="link small"
          onClick={() => {
            indexes.reload()
            usage.reload()
          }}
        >
          Refresh
        </button>
      </div>
      {creating && (
        <CreateIndex
          at={at}
          db={db}
          collection={collection}
          onCancel={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false)
            setNotice(`Index ${name} created.`)
            indexes.reload()
          }}
        />
      )}
      {notice && (
        <p className="notice ok-notice" role="status">
          {notice}
        </p>
      )}
      <ErrorMessage error={indexes.error} />
      <MongoError error={error} onDismiss={() => setError(null)} />
      {indexes.loading && !indexes.data && <p className="muted">Loading indexes…</p>}
      {usage.error != null && (
        <p className="muted small" role="note">
          Index usage is not available from this server: {errorText(usage.error)}
        </p>
      )}
      {list.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>Name</th>
              <th>Keys</th>
              <th>Properties</th>
              <th className="num">Size</th>
              <th className="num" title="Operations that used the index since the server started or the index was built ($indexStats)">
                Uses
              </th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((index) => (
              <tr key={index.name} data-index={index.name}>
                <td className="mono">{index.name}</td>
                <td className="mono">{JSON.stringify(index.key)}</td>
                <td>
                  <Properties index={index} />
                </td>
                <td className="num">{formatBytes(index.size)}</td>
                <td className="num" data-uses={uses.get(index.name)?.ops ?? ''}>
                  {uses.get(index.name)?.ops == null ? '—' : formatCount(uses.get(index.name)?.ops ?? 0)}
                </td>
                <td className="num">
                  <RoleButton
                    need="write"
                    role={role}
                    className="danger-outline"
                    disabled={index.name === '_id_'}
                    title={index.name === '_id_' ? 'Every collection keeps its _id index' : undefined}
                    onClick={() => setDropping(index)}
                  >
                    Drop
                  </RoleButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {dropping && (
        <TypedConfirm
          title={`Drop the index ${dropping.name}?`}
          name={dropping.name}
          what="index"
          confirmLabel="Drop Index"
          onConfirm={() => drop(dropping.name)}
          onCancel={() => setDropping(null)}
        >
          <p>
            The index on <code>{JSON.stringify(dropping.key)}</code>
            {dropping.unique ? ' and the uniqueness it enforces' : ''} will be lost; queries that used it will scan instead. No document is deleted.
          </p>
        </TypedConfirm>
      )}
      {indexes.data && list.length === 0 && <p className="empty">No indexes (a view has none). Create one with “Create Index”.</p>}
    </div>
  )
}
