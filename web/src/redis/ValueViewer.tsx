// The value of one key, for every type, read a page at a time, with its TTL. The elements of a
// collection are edited one at a time in place (CollectionEditors.tsx).
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { redis, type EditedKey, type KeyEdit, type KeyName, type KeyValue } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { WriteButton } from '../components/WriteButton'
import { formatBytes, formatCount, formatTtl } from '../format'
import { HashEditor, ListEditor, SetEditor, StreamEditor, ZsetEditor } from './CollectionEditors'
import { applyLocally, wasDeleted } from './edits'
import { PAGE, loadedCount, merge, nextPage } from './paging'
import { TypeBadge } from './TypeBadge'

interface Props {
  projectRef: string
  connectionId?: string
  name: KeyName
  writable: boolean
  onClose: () => void
  onTtlChange: (ttl: number) => void
  /** The key is gone: an element edit removed its last element. */
  onDeleted?: () => void
}

/** Elements re-read after an edit of a stream, at most (the server's largest page). */
const MAX_REREAD = 1000

function Encoded({ v }: { v: KeyValue }) {
  return v.value_encoding === 'base64' ? <p className="muted">Binary value, shown as base64.</p> : null
}

/** Characters of a string drawn at first, and how much more each "Show more" draws. */
export const STRING_STEP = 64 * 1024

/**
 * A string value: at most `STRING_STEP` characters drawn at first (a megabyte in one <pre> blocks
 * the page for a moment), more on request up to what the server sent (its first MiB of a bigger
 * value), and the whole value as a download, never drawn.
 */
function StringBody({ v, download }: { v: Extract<KeyValue, { type: 'string' }>; download: () => Promise<void> }) {
  const [limit, setLimit] = useState(STRING_STEP)
  const [downloading, setDownloading] = useState(false)
  const text = v.value.length > limit ? v.value.slice(0, limit) : v.value
  const cut = text.length < v.value.length || v.truncated
  return (
    <>
      {cut && (
        <div className="notice string-cut">
          <p>
            Showing the first {formatBytes(text.length)} of {formatBytes(v.length)}
            {v.truncated ? ': the whole value is too big to show here.' : '.'}
          </p>
          <div className="buttons">
            {text.length < v.value.length && (
              <button type="button" onClick={() => setLimit((n) => n * 4)}>
                Show more
              </button>
            )}
            <button
              type="button"
              disabled={downloading}
              title="Saves the whole value as a file, without showing it"
              onClick={() => {
                setDownloading(true)
                void download().finally(() => setDownloading(false))
              }}
            >
              {downloading ? 'Downloading…' : `Download whole value (${formatBytes(v.length)})`}
            </button>
          </div>
        </div>
      )}
      <pre className="value">{text}</pre>
    </>
  )
}

/** The bytes of a value as the server sent them (text, or base64 for binary). */
function valueBytes(value: string, encoding: KeyValue['value_encoding']): BlobPart {
  if (encoding !== 'base64') return value
  const binary = atob(value)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** Has the browser save `blob` as `filename`. */
function save(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

type Collection = Exclude<KeyValue, { type: 'string' }>

interface ElementsProps {
  v: Collection
  writable: boolean
  apply: (edit: KeyEdit) => Promise<boolean>
  append: (fields: Record<string, string>) => Promise<boolean>
  invalid: (message: string) => void
}

function Elements({ v, append, ...rest }: ElementsProps) {
  switch (v.type) {
    case 'hash':
      return <HashEditor v={v} {...rest} />
    case 'list':
      return <ListEditor v={v} {...rest} />
    case 'set':
      return <SetEditor v={v} {...rest} />
    case 'zset':
      return <ZsetEditor v={v} {...rest} />
    case 'stream':
      return <StreamEditor v={v} append={append} {...rest} />
  }
}

export function ValueViewer({ projectRef, connectionId, name, writable, onClose, onTtlChange, onDeleted }: Props) {
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

  /**
   * Shows the key after an edit answered with `answer` (its first page). A hash or set keeps the
   * pages already loaded, patched; a list or sorted set re-reads the range shown (indexes and score
   * order move); a stream re-reads from its first entry.
   */
  const settle = async (shown: KeyValue, edit: KeyEdit | null, answer: KeyValue) => {
    if (edit && (shown.type === 'hash' || shown.type === 'set') && shown.type === answer.type) {
      setValue((v) => (v ? (applyLocally(v, edit, answer) ?? answer) : answer))
      return
    }
    let fresh = answer
    if ((shown.type === 'list' || shown.type === 'zset') && shown.type === answer.type) {
      fresh = await redis.read(projectRef, name, { start: shown.start, stop: Math.max(shown.stop, PAGE - 1) }, connectionId)
    } else if (shown.type === 'stream' && answer.type === 'stream') {
      const count = Math.min(MAX_REREAD, Math.max(PAGE, shown.entries.length + 1))
      fresh = await redis.read(projectRef, name, { count }, connectionId)
    }
    if (alive.current) setValue(fresh)
  }

  /** Reads the whole string (`full=true`) and saves it as a file; it is not shown. */
  const downloadWhole = async () => {
    setError(null)
    try {
      const whole = await redis.read(projectRef, name, { full: true }, connectionId)
      if (whole.type !== 'string') throw new Error(`The key is a ${whole.type} now, not a string.`)
      const binary = whole.value_encoding === 'base64'
      const base = name.key_encoding === 'utf8' ? name.key.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'value' : 'value'
      const blob = new Blob([valueBytes(whole.value, whole.value_encoding)], { type: binary ? 'application/octet-stream' : 'text/plain' })
      save(blob, `${base}${binary ? '.bin' : '.txt'}`)
    } catch (e) {
      if (alive.current) setError(e)
    }
  }

  /** Runs a write and shows its answer; resolves false (with the error shown) when it failed. */
  const write = async (send: () => Promise<EditedKey>, edit: KeyEdit | null): Promise<boolean> => {
    const shown = value
    if (!shown) return false
    setError(null)
    try {
      const answer = await send()
      if (!alive.current) return true
      if (wasDeleted(answer)) {
        onDeleted?.()
        return true
      }
      await settle(shown, edit, answer)
      return true
    } catch (e) {
      if (alive.current) setError(e)
      return false
    }
  }

  const apply = (edit: KeyEdit) => write(() => redis.edit(projectRef, name, edit, connectionId), edit)
  // PUT appends an entry to an existing stream (XADD *); PATCH only deletes entries.
  const append = (fields: Record<string, string>) =>
    write(() => redis.update(projectRef, name, { type: 'stream', value: fields }, connectionId), null)

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
          ) : value.type === 'string' ? (
            <StringBody v={value} download={downloadWhole} />
          ) : (
            <Elements
              v={value}
              writable={writable}
              apply={apply}
              append={append}
              invalid={(message) => setError(new Error(message))}
            />
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
