// `/project/{ref}/databases/redis`: the key browser. Keys arrive a SCAN page at a time, as the list
// is scrolled to its end or "Load more" is clicked; a page never waits for the whole keyspace.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { ApiError, canWrite, projects, redis, type KeyName, type KeySummary, type KeyValue } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { ConfirmDelete } from '../components/ConfirmAction'
import { WriteButton } from '../components/WriteButton'
import { formatBytes, formatCount, formatTtl } from '../format'
import { Link, navigate } from '../router'
import { useLoad } from '../useLoad'
import { useWindowRange } from '../useWindowRange'
import { NewKeyDialog } from './NewKeyDialog'
import { isLiteralPattern } from './paging'
import { RedisTabs } from './RedisTabs'
import { TypeBadge } from './TypeBadge'
import { ValueViewer } from './ValueViewer'

/** Keys SCAN walks per request: with a pattern, more, since fewer of them match. */
const SCAN_COUNT = 200
const SCAN_COUNT_FILTERED = 1000
/** Pages fetched in a row while the end of the list stays in view, before asking for a click. */
const AUTO_PAGES = 20
/** Height of a key row in pixels (fixed, so only the rows in view need to be in the DOM). */
const ROW_HEIGHT = 37

interface Props {
  projectRef: string
  connectionId?: string
}

interface Listing {
  keys: KeySummary[]
  cursor: string
  done: boolean
  dbSize: number | null
  /** Keys the server examined so far in this walk (matching or not). */
  scanned: number
}

const FRESH: Listing = { keys: [], cursor: '0', done: false, dbSize: null, scanned: 0 }

function summaryOf(v: KeyValue): KeySummary {
  return { key: v.key, key_encoding: v.key_encoding, type: v.type, ttl: v.ttl, size: v.size }
}

function KeyRow({
  k,
  top,
  selected,
  writable,
  onSelect,
  onDelete,
}: {
  k: KeySummary
  top: number
  selected: boolean
  writable: boolean
  onSelect: () => void
  onDelete: () => Promise<void>
}) {
  return (
    <div
      role="row"
      data-key={k.key}
      className={selected ? 'row selected' : 'row'}
      onClick={onSelect}
      style={{ top }}
    >
      <span role="cell" className="key mono" title={k.key}>
        {k.key}
        {k.key_encoding === 'base64' && <span className="muted"> (base64)</span>}
      </span>
      <span role="cell">
        <TypeBadge type={k.type} />
      </span>
      <span role="cell" className="num">
        {formatTtl(k.ttl)}
      </span>
      <span role="cell" className="num">
        {formatBytes(k.size)}
      </span>
      <span role="cell" className="actions" onClick={(e) => e.stopPropagation()}>
        <ConfirmDelete writable={writable} onDelete={onDelete} />
      </span>
    </div>
  )
}

export function RedisBrowser({ projectRef, connectionId }: Props) {
  const project = useLoad(() => projects.get(projectRef), [projectRef])
  const databases = useLoad(() => projects.databases(projectRef), [projectRef])
  const writable = canWrite(project.data?.role)
  const redisConnections = (databases.data ?? []).filter((c) => c.database_type === 'redis')
  const active = redisConnections.find((c) => (connectionId ? c.id === connectionId : c.is_primary))

  const [patternInput, setPatternInput] = useState('')
  const [pattern, setPattern] = useState('')
  const [listing, setListing] = useState<Listing>(FRESH)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [selected, setSelected] = useState<KeyName | null>(null)
  const [creating, setCreating] = useState(false)
  const [sentinelVisible, setSentinelVisible] = useState(false)
  const autoPages = useRef(0)
  const generation = useRef(0)
  const sentinel = useRef<HTMLDivElement | null>(null)
  const rows = useRef<HTMLDivElement | null>(null)
  const range = useWindowRange(listing.keys.length, ROW_HEIGHT, rows)

  const loadPage = useCallback(
    async (from: Listing, forPattern: string) => {
      const mine = generation.current
      setLoading(true)
      setError(null)
      try {
        if (isLiteralPattern(forPattern)) {
          // One key, looked up by name (a count of 1 keeps the read small for a collection).
          let found: KeySummary[] = []
          try {
            found = [summaryOf(await redis.read(projectRef, { key: forPattern, key_encoding: 'utf8' }, { count: 1 }, connectionId))]
          } catch (e) {
            if (!(e instanceof ApiError && e.status === 404)) throw e
          }
          if (mine !== generation.current) return
          setListing({ keys: found, cursor: '0', done: true, dbSize: null, scanned: 0 })
          return
        }
        const page = await redis.keys(projectRef, {
          pattern: forPattern || undefined,
          cursor: from.cursor,
          count: forPattern && forPattern !== '*' ? SCAN_COUNT_FILTERED : SCAN_COUNT,
          connectionId,
        })
        if (mine !== generation.current) return
        const seen = new Set(from.keys.map((k) => k.key))
        setListing({
          keys: [...from.keys, ...page.keys.filter((k) => !seen.has(k.key))],
          cursor: page.cursor,
          done: page.cursor === '0',
          dbSize: page.db_size,
          scanned: from.scanned + page.total_scanned,
        })
      } catch (e) {
        if (mine === generation.current) setError(e)
      } finally {
        if (mine === generation.current) setLoading(false)
      }
    },
    [projectRef, connectionId],
  )

  // A new pattern starts a new walk; answers to the old one are dropped.
  useEffect(() => {
    generation.current++
    autoPages.current = 0
    setListing(FRESH)
    void loadPage(FRESH, pattern)
  }, [pattern, loadPage])

  useEffect(() => {
    const node = sentinel.current
    if (!node || typeof IntersectionObserver === 'undefined') return
    const observer = new IntersectionObserver((entries) => setSentinelVisible(entries.some((e) => e.isIntersecting)))
    observer.observe(node)
    return () => observer.disconnect()
  }, [])

  // While the end of the list is in view, keep walking, a bounded number of pages at a time.
  useEffect(() => {
    if (sentinelVisible && !loading && !listing.done && !error && autoPages.current < AUTO_PAGES) {
      autoPages.current++
      void loadPage(listing, pattern)
    }
  }, [sentinelVisible, loading, listing, error, pattern, loadPage])

  const loadMore = () => {
    autoPages.current = 0
    void loadPage(listing, pattern)
  }

  const search = (event: FormEvent) => {
    event.preventDefault()
    setSelected(null)
    setPattern(patternInput.trim())
  }

  /** Drops a key that no longer exists from the list (and the viewer). */
  const forget = (key: string) => {
    setListing((l) => ({
      ...l,
      keys: l.keys.filter((x) => x.key !== key),
      dbSize: l.dbSize === null ? null : Math.max(0, l.dbSize - 1),
    }))
    setSelected((s) => (s?.key === key ? null : s))
  }

  const remove = async (k: KeySummary) => {
    try {
      await redis.remove(projectRef, k, connectionId)
      forget(k.key)
    } catch (e) {
      setError(e)
    }
  }

  const created = (v: KeyValue) => {
    setCreating(false)
    const summary = summaryOf(v)
    setListing((l) => {
      const known = l.keys.some((x) => x.key === v.key)
      return {
        ...l,
        keys: [summary, ...l.keys.filter((x) => x.key !== v.key)],
        dbSize: l.dbSize === null || known ? l.dbSize : l.dbSize + 1,
      }
    })
  }

  const setTtl = (key: string, ttl: number) =>
    setListing((l) => ({ ...l, keys: l.keys.map((k) => (k.key === key ? { ...k, ttl } : k)) }))

  const base = `/project/${encodeURIComponent(projectRef)}`
  const noConnection = databases.data && redisConnections.length === 0
  return (
    <section className="redis">
      <p className="crumbs">
        <Link href="/">Projects</Link> / <Link href={base}>{project.data?.name ?? projectRef}</Link> / Redis
      </p>
      <div className="toolbar">
        <h1>Redis</h1>
        {redisConnections.length > 1 && (
          <select
            aria-label="Connection"
            value={active?.id ?? ''}
            onChange={(e) => {
              const c = redisConnections.find((x) => x.id === e.target.value)
              if (c) navigate(c.is_primary ? `${base}/databases/redis` : `${base}/databases/redis?connection_id=${c.id}`)
            }}
          >
            {redisConnections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.identifier}
                {c.is_primary ? ' (primary)' : ''}
              </option>
            ))}
          </select>
        )}
        {redisConnections.length === 1 && active && <span className="muted mono">{active.identifier}</span>}
        <form className="search" onSubmit={search} role="search">
          <input
            name="pattern"
            placeholder="Pattern, e.g. user:*"
            value={patternInput}
            onChange={(e) => setPatternInput(e.target.value)}
            aria-label="Key pattern"
          />
          <button type="submit">Search</button>
        </form>
        <WriteButton allowed={writable && !noConnection} className="primary" onClick={() => setCreating(true)}>
          New Key
        </WriteButton>
      </div>
      <RedisTabs projectRef={projectRef} connectionId={connectionId} current="keys" />
      <ErrorMessage error={project.error ?? databases.error} />
      {noConnection ? (
        <div className="empty">
          <p>This project has no Redis connection yet.</p>
          <p className="muted">
            An admin adds one with <code>POST /api/platform/redis/{projectRef}/connections</code>.
          </p>
        </div>
      ) : (
        <div className="split">
          <div className="keys">
            <ErrorMessage error={error} onDismiss={() => setError(null)} />
            <div role="table" className="key-table" aria-rowcount={listing.keys.length}>
              <div role="row" className="row head">
                <span role="columnheader">Key</span>
                <span role="columnheader">Type</span>
                <span role="columnheader" className="num">
                  TTL
                </span>
                <span role="columnheader" className="num">
                  Size
                </span>
                <span role="columnheader" />
              </div>
              <div role="rowgroup" ref={rows} className="rows" style={{ height: listing.keys.length * ROW_HEIGHT }}>
                {listing.keys.slice(range.first, range.last).map((k, i) => (
                  <KeyRow
                    key={k.key}
                    k={k}
                    top={(range.first + i) * ROW_HEIGHT}
                    selected={selected?.key === k.key}
                    writable={writable}
                    onSelect={() => setSelected({ key: k.key, key_encoding: k.key_encoding })}
                    onDelete={() => remove(k)}
                  />
                ))}
              </div>
            </div>
            <div ref={sentinel} className="scan-status">
              {listing.done && listing.keys.length === 0 && !loading && (
                <p className="empty">
                  {pattern ? `No key matches ${pattern}.` : 'This database is empty. Create a key with "New Key".'}
                </p>
              )}
              <span className="muted">
                {formatCount(listing.keys.length)} {listing.keys.length === 1 ? 'key' : 'keys'} shown
                {listing.dbSize !== null &&
                  (pattern && !listing.done
                    ? ` · scanned ${formatCount(listing.scanned)} of ${formatCount(listing.dbSize)}`
                    : ` · ${formatCount(listing.dbSize)} in the database`)}
                {listing.done && (isLiteralPattern(pattern) ? ' · looked up by name' : ' · scan complete')}
              </span>
              {!listing.done && (
                <button type="button" onClick={loadMore} disabled={loading}>
                  {loading ? 'Scanning…' : 'Load more'}
                </button>
              )}
            </div>
          </div>
          {selected && (
            <ValueViewer
              key={selected.key}
              projectRef={projectRef}
              connectionId={connectionId}
              name={selected}
              writable={writable}
              onClose={() => setSelected(null)}
              onTtlChange={(ttl) => setTtl(selected.key, ttl)}
              onDeleted={() => forget(selected.key)}
            />
          )}
        </div>
      )}
      {creating && (
        <NewKeyDialog
          create={(key, value, ttl) => redis.create(projectRef, key, value, ttl, connectionId)}
          onCreated={created}
          onCancel={() => setCreating(false)}
        />
      )}
    </section>
  )
}
