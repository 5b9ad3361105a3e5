// The value of one key, for every type, read a page at a time, with its TTL. The elements of a
// collection are edited one at a time in place (CollectionEditors.tsx).
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { ApiError, redis, redisTools, type EditedKey, type KeyEdit, type KeyName, type KeyValue, type ValuePage } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { WriteButton } from '../components/WriteButton'
import { FORMATTERS, format, looksLikeJson, type Formatter } from './formatters'
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
  /** The key is gone: an element edit removed its last element, or it expired. */
  onDeleted?: () => void
  /** The key now has another name. */
  onRenamed?: (to: KeyValue) => void
}

/**
 * Seconds left of a TTL, ticking down locally once a second from what the server said; calls
 * `expired` when it reaches 0 (the caller re-reads the key: it may be gone, or its TTL changed).
 */
export function useCountdown(ttl: number | undefined, expired: () => void): number | undefined {
  const [left, setLeft] = useState(ttl)
  const onExpired = useRef(expired)
  onExpired.current = expired
  useEffect(() => {
    setLeft(ttl)
    if (ttl === undefined || ttl <= 0) return
    const started = Date.now()
    const timer = window.setInterval(() => {
      const remaining = Math.max(0, ttl - Math.floor((Date.now() - started) / 1000))
      setLeft(remaining)
      if (remaining === 0) {
        window.clearInterval(timer)
        onExpired.current()
      }
    }, 1000)
    return () => window.clearInterval(timer)
  }, [ttl])
  return left
}

/** Where a search or an order applies: hashes, sets and sorted sets. */
function searchable(type: KeyValue['type']): boolean {
  return type === 'hash' || type === 'set' || type === 'zset'
}

/** The search box and, for a sorted set, its order and score range; `apply` re-reads with them. */
function ValueQuery({ v, query, apply }: { v: KeyValue; query: ValuePage; apply: (q: ValuePage) => void }) {
  const [contains, setContains] = useState(query.contains ?? '')
  const [min, setMin] = useState(query.min ?? '')
  const [max, setMax] = useState(query.max ?? '')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    apply({ ...query, contains: contains || undefined, min: min || undefined, max: max || undefined })
  }
  const what = v.type === 'hash' ? 'fields' : 'members'
  return (
    <form className="value-query" onSubmit={submit} role="search" aria-label={`Search ${what}`}>
      <input
        aria-label={`Search ${what}`}
        placeholder={`Search ${what} (contains)`}
        value={contains}
        onChange={(e) => setContains(e.target.value)}
      />
      {v.type === 'zset' && (
        <>
          <select
            aria-label="Order"
            value={query.rev ? 'desc' : 'asc'}
            onChange={(e) => apply({ ...query, rev: e.target.value === 'desc' || undefined })}
          >
            <option value="asc">Lowest score first</option>
            <option value="desc">Highest score first</option>
          </select>
          <input className="score" aria-label="Minimum score" placeholder="min, e.g. (1 or -inf" value={min} onChange={(e) => setMin(e.target.value)} />
          <input className="score" aria-label="Maximum score" placeholder="max, e.g. 10 or +inf" value={max} onChange={(e) => setMax(e.target.value)} />
        </>
      )}
      <button type="submit">Search</button>
      {(query.contains || query.min || query.max) && (
        <button
          type="button"
          className="link"
          onClick={() => {
            setContains('')
            setMin('')
            setMax('')
            apply({ rev: query.rev })
          }}
        >
          Clear
        </button>
      )}
    </form>
  )
}

/** Renames the key (RENAMENX, or RENAME when the user says to replace an existing key). */
function RenameForm({ current, rename, onCancel }: { current: string; rename: (to: string, overwrite: boolean) => Promise<void>; onCancel: () => void }) {
  const [to, setTo] = useState(current)
  const [overwrite, setOverwrite] = useState(false)
  const [busy, setBusy] = useState(false)
  return (
    <form
      className="rename"
      onSubmit={(e) => {
        e.preventDefault()
        if (!to || to === current) return
        setBusy(true)
        void rename(to, overwrite).finally(() => setBusy(false))
      }}
    >
      <input className="mono" aria-label="New key name" value={to} onChange={(e) => setTo(e.target.value)} autoFocus />
      <label className="inline">
        <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} /> Replace an existing key
      </label>
      <div className="buttons">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy || !to || to === current}>
          Rename
        </button>
      </div>
    </form>
  )
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
  const [formatter, setFormatter] = useState<Formatter>(() =>
    v.value_encoding === 'utf8' && !v.truncated && looksLikeJson(v.value) ? 'json' : 'raw',
  )
  const formatted = formatter === 'raw' ? null : format(v.value, v.value_encoding, formatter)
  const shown = formatted && 'text' in formatted ? formatted.text : v.value
  const text = shown.length > limit ? shown.slice(0, limit) : shown
  const cut = text.length < shown.length || v.truncated
  return (
    <>
      {cut && (
        <div className="notice string-cut">
          <p>
            Showing the first {formatBytes(text.length)} of {formatBytes(v.length)}
            {v.truncated ? ': the whole value is too big to show here.' : '.'}
          </p>
          <div className="buttons">
            {text.length < shown.length && (
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
      <div className="formatters" role="group" aria-label="Show the value as">
        {FORMATTERS.map((f) => (
          <button key={f.id} type="button" aria-pressed={formatter === f.id} onClick={() => setFormatter(f.id)}>
            {f.label}
          </button>
        ))}
      </div>
      {formatted && 'error' in formatted && <p className="muted">{formatted.error} Showing the raw value.</p>}
      {v.truncated && formatter !== 'raw' && <p className="muted">Formatted from the first {formatBytes(v.value.length)} only.</p>}
      <pre className="value" data-formatter={formatter}>
        {text}
      </pre>
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

export function ValueViewer({ projectRef, connectionId, name, writable, onClose, onTtlChange, onDeleted, onRenamed }: Props) {
  const [value, setValue] = useState<KeyValue | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(false)
  const [ttlInput, setTtlInput] = useState('')
  const [draft, setDraft] = useState<string | null>(null)
  const [query, setQuery] = useState<ValuePage>({})
  const [renaming, setRenaming] = useState(false)
  const alive = useRef(true)

  const load = useCallback(
    async (shown: KeyValue | null) => {
      const page = shown ? nextPage(shown) : { count: PAGE }
      if (!page) return
      setLoading(true)
      setError(null)
      try {
        const next = await redis.read(projectRef, name, { ...query, ...page }, connectionId)
        if (alive.current) setValue(shown ? merge(shown, next) : next)
      } catch (e) {
        if (alive.current) setError(e)
      } finally {
        if (alive.current) setLoading(false)
      }
    },
    [projectRef, name, connectionId, query],
  )

  // At the end of the countdown the key is read again: gone (404) or given a new TTL meanwhile.
  const ttlLeft = useCountdown(value?.ttl, () => {
    redis.read(projectRef, name, { count: 1 }, connectionId).then(
      (fresh) => {
        if (!alive.current) return
        setValue((v) => (v ? { ...v, ttl: fresh.ttl } : v))
        onTtlChange(fresh.ttl)
      },
      (e: unknown) => {
        if (!alive.current) return
        if (e instanceof ApiError && e.status === 404) onDeleted?.()
        else setError(e)
      },
    )
  })

  const rename = async (to: string, overwrite: boolean) => {
    setError(null)
    try {
      const renamed = await redisTools.rename(projectRef, name, to, overwrite, connectionId)
      if (!alive.current) return
      setRenaming(false)
      onRenamed?.(renamed)
    } catch (e) {
      if (alive.current) setError(e)
    }
  }

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
        <WriteButton allowed={writable && name.key_encoding === 'utf8'} className="link" onClick={() => setRenaming(true)} disabled={renaming}>
          Rename
        </WriteButton>
        <button type="button" className="link" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      {renaming && <RenameForm current={name.key} rename={rename} onCancel={() => setRenaming(false)} />}
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
            <dd data-testid="ttl-countdown" aria-live="off">
              {formatTtl(ttlLeft ?? value.ttl)}
            </dd>
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
          {searchable(value.type) && <ValueQuery v={value} query={query} apply={setQuery} />}
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
              {query.contains
                ? `${formatCount(loadedCount(value))} matching of ${formatCount(value.length)}${more ? ' so far' : ''}`
                : value.type === 'zset' && value.in_range !== undefined
                  ? `${formatCount(loadedCount(value))} of ${formatCount(value.in_range)} in the score range (${formatCount(value.length)} in all)`
                  : `${formatCount(loadedCount(value))} of ${formatCount(value.length)} shown`}
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
