// The value of one key, for every type, read a page at a time, with its TTL.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { redis, type KeyName, type KeyValue } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { WriteButton } from '../components/WriteButton'
import { formatBytes, formatCount, formatTtl } from '../format'
import { PAGE, loadedCount, merge, nextPage } from './paging'
import { TypeBadge } from './TypeBadge'

interface Props {
  projectRef: string
  connectionId?: string
  name: KeyName
  writable: boolean
  onClose: () => void
  onTtlChange: (ttl: number) => void
}

function Encoded({ v }: { v: KeyValue }) {
  return v.value_encoding === 'base64' ? <p className="muted">Binary value, shown as base64.</p> : null
}

function Body({ v }: { v: KeyValue }) {
  switch (v.type) {
    case 'string':
      return (
        <>
          {v.truncated && (
            <p className="notice">
              Showing the first {formatBytes(v.value.length)} of {formatBytes(v.length)}: the whole value is too big to
              show here.
            </p>
          )}
          <pre className="value">{v.value}</pre>
        </>
      )
    case 'hash':
      return (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Field</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(v.fields).map(([field, value]) => (
              <tr key={field}>
                <td className="mono">{field}</td>
                <td className="mono">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )
    case 'set':
      return (
        <ul className="members mono">
          {v.members.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )
    case 'list':
      return (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Index</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {v.values.map((value, i) => (
              <tr key={v.start + i}>
                <td className="muted">{v.start + i}</td>
                <td className="mono">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )
    case 'zset':
      return (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Score</th>
              <th>Member</th>
            </tr>
          </thead>
          <tbody>
            {v.members.map((m, i) => (
              <tr key={`${i}:${m.member}`}>
                <td className="muted">{m.score ?? '—'}</td>
                <td className="mono">{m.member}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )
    case 'stream':
      return (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Id</th>
              <th>Fields</th>
            </tr>
          </thead>
          <tbody>
            {v.entries.map((e) => (
              <tr key={e.id}>
                <td className="mono muted">{e.id}</td>
                <td className="mono">
                  {Object.entries(e.fields).map(([f, value]) => (
                    <div key={f}>
                      <strong>{f}</strong> {value}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )
  }
}

export function ValueViewer({ projectRef, connectionId, name, writable, onClose, onTtlChange }: Props) {
  const [value, setValue] = useState<KeyValue | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(false)
  const [ttlInput, setTtlInput] = useState('')
  const [draft, setDraft] = useState<string | null>(null)
  const alive = useRef(true)

  const load = useCallback(
    async (shown: KeyValue | null) => {
      const page = shown ? nextPage(shown) : { count: PAGE }
      if (!page) return
      setLoading(true)
      setError(null)
      try {
        const next = await redis.read(projectRef, name, page, connectionId)
        if (alive.current) setValue(shown ? merge(shown, next) : next)
      } catch (e) {
        if (alive.current) setError(e)
      } finally {
        if (alive.current) setLoading(false)
      }
    },
    [projectRef, name, connectionId],
  )

  useEffect(() => {
    alive.current = true
    setValue(null)
    void load(null)
    return () => {
      alive.current = false
    }
  }, [load])

  const changeTtl = async (ttl: number) => {
    setError(null)
    try {
      const answer = await redis.expire(projectRef, name, ttl, connectionId)
      if (!alive.current) return
      setValue((v) => (v ? { ...v, ttl: answer.ttl } : v))
      onTtlChange(answer.ttl)
      setTtlInput('')
    } catch (e) {
      if (alive.current) setError(e)
    }
  }

  const saveString = async () => {
    if (draft === null) return
    setError(null)
    try {
      const saved = await redis.update(projectRef, name, { type: 'string', value: draft }, connectionId)
      if (!alive.current) return
      setValue(saved)
      setDraft(null)
    } catch (e) {
      if (alive.current) setError(e)
    }
  }

  const submitTtl = (event: FormEvent) => {
    event.preventDefault()
    const seconds = Number(ttlInput)
    if (!Number.isInteger(seconds) || seconds <= 0) {
      setError(new Error('A TTL is a whole number of seconds above zero.'))
      return
    }
    void changeTtl(seconds)
  }

  const more = value ? nextPage(value) : null
  return (
    <aside className="viewer" aria-label="Value">
      <header>
        <h2 className="mono" title={name.key}>
          {name.key}
        </h2>
        <button type="button" className="link" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      <ErrorMessage error={error} />
      {value && (
        <>
          <dl className="meta">
            <dt>Type</dt>
            <dd>
              <TypeBadge type={value.type} />
            </dd>
            <dt>{value.type === 'string' ? 'Length' : 'Elements'}</dt>
            <dd>{formatCount(value.length)}</dd>
            <dt>Memory</dt>
            <dd>{formatBytes(value.size)}</dd>
            <dt>TTL</dt>
            <dd>{formatTtl(value.ttl)}</dd>
          </dl>
          <form className="ttl" onSubmit={submitTtl}>
            <input
              name="new-ttl"
              type="number"
              min={1}
              placeholder="TTL in seconds"
              value={ttlInput}
              onChange={(e) => setTtlInput(e.target.value)}
              disabled={!writable}
            />
            <WriteButton allowed={writable} type="submit">
              Set TTL
            </WriteButton>
            <WriteButton allowed={writable} disabled={value.ttl === -1} onClick={() => void changeTtl(-1)}>
              Persist
            </WriteButton>
          </form>
          <Encoded v={value} />
          {value.type === 'string' && draft !== null ? (
            <div className="editor">
              <textarea name="string-value" value={draft} onChange={(e) => setDraft(e.target.value)} rows={8} />
              <div className="buttons">
                <button type="button" onClick={() => setDraft(null)}>
                  Cancel
                </button>
                <button type="button" className="primary" onClick={() => void saveString()}>
                  Save
                </button>
              </div>
            </div>
          ) : (
            <Body v={value} />
          )}
          {value.type === 'string' && draft === null && (
            <WriteButton
              allowed={writable}
              disabled={value.truncated || value.value_encoding !== 'utf8'}
              title={value.truncated || value.value_encoding !== 'utf8' ? 'Only a whole text value can be edited here.' : undefined}
              onClick={() => setDraft(value.value)}
            >
              Edit value
            </WriteButton>
          )}
          {value.type !== 'string' && (
            <p className="muted">
              {formatCount(loadedCount(value))} of {formatCount(value.length)} shown
            </p>
          )}
          {more && (
            <button type="button" onClick={() => void load(value)} disabled={loading}>
              {loading ? 'Loading…' : 'Load more'}
            </button>
          )}
        </>
      )}
      {!value && loading && <p className="muted">Loading value…</p>}
    </aside>
  )
}
