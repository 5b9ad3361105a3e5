// `/project/{ref}/databases/redis`: the key browser. Keys arrive a SCAN page at a time, as the list
// is scrolled to its end or "Load more" is clicked; a page never waits for the whole keyspace.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { ApiError, canWrite, projects, redis, redisTools, type KeyName, type KeySummary, type KeyValue, type RedisType } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { TwoStepConfirm } from '../components/ConfirmAction'
import { WriteButton } from '../components/WriteButton'
import { formatBytes, formatCount, formatTtl } from '../format'
import { Link, navigate, useLocation } from '../router'
import { useLoad } from '../useLoad'
import { useWindowRange } from '../useWindowRange'
import { NewKeyDialog } from './NewKeyDialog'
import { isLiteralPattern } from './paging'
import { RedisTabs } from './RedisTabs'
import { TypeBadge } from './TypeBadge'
import { ValueViewer } from './ValueViewer'
import { DeleteKeysDialog } from './DeleteKeysDialog'
import { RedisImportDialog } from './RedisImportDialog'
import { branchPattern, buildTree, flatten, type Branch, type TreeRow } from './tree'
import { SplitHandle, useSplit } from './SplitHandle'

const TYPES: RedisType[] = ['string', 'hash', 'list', 'set', 'zset', 'stream']

/** A many-keys deletion waiting for its typed confirmation. */
interface PendingDelete {
  pattern: string
  name: string
  what: string
}

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

/** How much of the keyspace a walk has examined, as a percentage (capped: DBSIZE moves meanwhile). */
function coverage(scanned: number, dbSize: number): string {
  if (dbSize <= 0) return '100%'
  return `${Math.min(100, Math.round((scanned / dbSize) * 100))}%`
}

function summaryOf(v: KeyValue): KeySummary {
  return { key: v.key, key_encoding: v.key_encoding, type: v.type, ttl: v.ttl, size: v.size }
}

/** Where the choice between the tree and the flat list is remembered (the list stays the default). */
const VIEW_KEY = 'switchboard.redis.view'

/** Indentation of one tree level, in pixels. */
const INDENT = 16

/** The quick delete of one key: a compact button that leaves the width to the key name, then Cancel/Confirm. */
function DeleteKeyButton({ writable, onDelete }: { writable: boolean; onDelete: () => Promise<unknown> }) {
  return (
    <TwoStepConfirm
      onConfirm={onDelete}
      trigger={(ask) => (
        <WriteButton allowed={writable} className="compact danger-outline" onClick={ask} title="Delete key">
          Delete
        </WriteButton>
      )}
    />
  )
}

function KeyRow({
  k,
  label,
  depth,
  top,
  selected,
  writable,
  onSelect,
  onDelete,
}: {
  k: KeySummary
  label: string
  depth: number
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
      {/* The full name is the tooltip: a long name is cut with an ellipsis, never silently. */}
      <span role="cell" className="key mono" title={k.key} style={{ paddingLeft: depth * INDENT }}>
        {label}
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
        <DeleteKeyButton writable={writable} onDelete={onDelete} />
      </span>
    </div>
  )
}

function BranchRow({
  branch,
  depth,
  expanded,
  top,
  writable,
  onToggle,
  onDelete,
}: {
  branch: Branch
  depth: number
  expanded: boolean
  top: number
  writable: boolean
  onToggle: () => void
  onDelete: () => void
}) {
  return (
    <div role="row" className="row branch" data-branch={branch.prefix} onClick={onToggle} style={{ top }} aria-expanded={expanded}>
      <span role="cell" className="key mono" title={`${branch.prefix}* · ${branch.count} scanned keys`} style={{ paddingLeft: depth * INDENT }}>
        <span className="twisty" aria-hidden="true">
          {expanded ? '▾' : '▸'}
        </span>{' '}
        {branch.label}
        <span className="branch-count" data-testid="branch-count">
          {formatCount(branch.count)}
        </span>
      </span>
      <span role="cell" className="muted branch-kind">
        namespace
      </span>
      <span role="cell" />
      <span role="cell" />
      <span role="cell" className="actions" onClick={(e) => e.stopPropagation()}>
        <WriteButton
          allowed={writable}
          className="compact danger-outline"
          aria-label={`Delete branch ${branch.prefix}`}
          title={`Delete every key under ${branch.prefix}`}
          onClick={onDelete}
        >
          Delete
        </WriteButton>
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

  // `?key=` (e.g. from the analysis' biggest keys) opens on that key: looked up by name when the
  // name has no glob character, and selected either way.
  const { query } = useLocation()
  const [linked] = useState<KeyName | null>(() => {
    const key = query.get('key')
    return key === null ? null : { key, key_encoding: query.get('key_encoding') === 'base64' ? 'base64' : 'utf8' }
  })
  const linkedPattern = linked && linked.key_encoding === 'utf8' && isLiteralPattern(linked.key) ? linked.key : ''
  const [patternInput, setPatternInput] = useState(linkedPattern)
  const [pattern, setPattern] = useState(linkedPattern)
  const [listing, setListing] = useState<Listing>(FRESH)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [selected, setSelected] = useState<KeyName | null>(linked)
  const [creating, setCreating] = useState(false)
  const [importing, setImporting] = useState(false)
  const [sentinelVisible, setSentinelVisible] = useState(false)
  const [view, setViewState] = useState<'tree' | 'list'>(() =>
    localStorage.getItem(VIEW_KEY) === 'tree' ? 'tree' : 'list',
  )
  const setView = (v: 'tree' | 'list') => {
    setViewState(v)
    try {
      localStorage.setItem(VIEW_KEY, v)
    } catch {
      // Unavailable storage only means the choice is not remembered.
    }
  }
  const [separator, setSeparator] = useState(':')
  const [typeFilter, setTypeFilter] = useState<RedisType | ''>('')
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set())
  const [pendingDelete, setPendingDelete] = useState<PendingDelete | null>(null)
  const split = useSplit('switchboard.redis.split')
  const autoPages = useRef(0)
  const generation = useRef(0)
  const sentinel = useRef<HTMLDivElement | null>(null)
  const rows = useRef<HTMLDivElement | null>(null)
  const tree = useMemo(() => buildTree(listing.keys, view === 'tree' ? separator : ''), [listing.keys, view, separator])
  const treeRows: TreeRow[] = useMemo(() => flatten(tree, expanded, view === 'tree' ? separator : ''), [tree, expanded, view, separator])
  const range = useWindowRange(treeRows.length, ROW_HEIGHT, rows)

  const loadPage = useCallback(
    async (from: Listing, forPattern: string, forType: RedisType | '') => {
      const mine = generation.current
      setLoading(true)
      setError(null)
      try {
        if (isLiteralPattern(forPattern) && !forType) {
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
          count: (forPattern && forPattern !== '*') || forType ? SCAN_COUNT_FILTERED : SCAN_COUNT,
          type: forType || undefined,
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

  // A new pattern or type starts a new walk; answers to the old one are dropped.
  const [walk, setWalk] = useState(0)
  useEffect(() => {
    generation.current++
    autoPages.current = 0
    setListing(FRESH)
    void loadPage(FRESH, pattern, typeFilter)
  }, [pattern, typeFilter, walk, loadPage])

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
      void loadPage(listing, pattern, typeFilter)
    }
  }, [sentinelVisible, loading, listing, error, pattern, typeFilter, loadPage])

  const loadMore = () => {
    autoPages.current = 0
    void loadPage(listing, pattern, typeFilter)
  }

  const toggle = (prefix: string) =>
    setExpanded((open) => {
      const next = new Set(open)
      if (next.has(prefix)) next.delete(prefix)
      else next.add(prefix)
      return next
    })

  /** After a many-keys deletion: the walk starts again, since any page shown may have lost keys. */
  const deletedMany = () => {
    setPendingDelete(null)
    setSelected(null)
    setWalk((n) => n + 1)
  }

  const renamed = (from: string, to: KeyValue) => {
    setListing((l) => ({ ...l, keys: [summaryOf(to), ...l.keys.filter((x) => x.key !== from && x.key !== to.key)] }))
    setSelected({ key: to.key, key_encoding: to.key_encoding })
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
          <select aria-label="Key type" value={typeFilter} onChange={(e) => setTypeFilter(e.target.value as RedisType | '')}>
            <option value="">All types</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <button type="submit">Search</button>
        </form>
        {pattern && !isLiteralPattern(pattern) && (
          <WriteButton
            allowed={writable}
            className="danger-outline"
            onClick={() => setPendingDelete({ pattern, name: pattern, what: 'pattern' })}
          >
            Delete matches…
          </WriteButton>
        )}
        {!noConnection && (
          <a
            className="button"
            href={redisTools.exportUrl(projectRef, pattern || '*', connectionId)}
            download="redis-keys.ndjson"
            title="Every key matching the pattern, with its type, TTL and value (NDJSON)"
          >
            Export
          </a>
        )}
        <WriteButton allowed={writable && !noConnection} onClick={() => setImporting(true)}>
          Import…
        </WriteButton>
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
        <div className={selected ? 'split resizable' : 'split'} style={split.style}>
          <div className="keys">
            <ErrorMessage error={error} onDismiss={() => setError(null)} />
            <div className="view-bar">
              <div className="segmented" role="group" aria-label="Key view">
                <button type="button" aria-pressed={view === 'tree'} onClick={() => setView('tree')}>
                  Tree
                </button>
                <button type="button" aria-pressed={view === 'list'} onClick={() => setView('list')}>
                  List
                </button>
              </div>
              {view === 'tree' && (
                <label className="separator">
                  Separator
                  <input
                    className="mono"
                    aria-label="Separator"
                    value={separator}
                    maxLength={4}
                    onChange={(e) => setSeparator(e.target.value)}
                  />
                </label>
              )}
              {view === 'tree' && expanded.size > 0 && (
                <button type="button" className="link" onClick={() => setExpanded(new Set())}>
                  Collapse all
                </button>
              )}
            </div>
            <div role="table" className="key-table" aria-rowcount={treeRows.length}>
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
              <div role="rowgroup" ref={rows} className="rows" style={{ height: treeRows.length * ROW_HEIGHT }}>
                {treeRows.slice(range.first, range.last).map((r, i) => {
                  const top = (range.first + i) * ROW_HEIGHT
                  if (r.kind === 'branch') {
                    const b = r.branch
                    return (
                      <BranchRow
                        key={`b:${b.prefix}`}
                        branch={b}
                        depth={r.depth}
                        expanded={r.expanded}
                        top={top}
                        writable={writable}
                        onToggle={() => toggle(b.prefix)}
                        onDelete={() => setPendingDelete({ pattern: branchPattern(b.prefix), name: b.prefix, what: 'branch' })}
                      />
                    )
                  }
                  const k = r.key
                  return (
                    <KeyRow
                      key={`k:${k.key}`}
                      k={k}
                      label={r.label}
                      depth={r.depth}
                      top={top}
                      selected={selected?.key === k.key}
                      writable={writable}
                      onSelect={() => setSelected({ key: k.key, key_encoding: k.key_encoding })}
                      onDelete={() => remove(k)}
                    />
                  )
                })}
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
                  (!listing.done
                    ? ` · scanned ${formatCount(listing.scanned)} of ~${formatCount(listing.dbSize)} keys (${coverage(listing.scanned, listing.dbSize)})`
                    : ` · ${formatCount(listing.dbSize)} in the database`)}
                {view === 'tree' && !listing.done && listing.keys.length > 0 && ' · branch counts are of the keys scanned so far'}
                {listing.done && (isLiteralPattern(pattern) ? ' · looked up by name' : ' · scan complete')}
              </span>
              {!listing.done && (
                <button type="button" onClick={loadMore} disabled={loading}>
                  {loading ? 'Scanning…' : 'Load more'}
                </button>
              )}
            </div>
          </div>
          {selected && <SplitHandle split={split} />}
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
              onRenamed={(to) => renamed(selected.key, to)}
            />
          )}
        </div>
      )}
      {pendingDelete && (
        <DeleteKeysDialog
          projectRef={projectRef}
          connectionId={connectionId}
          pattern={pendingDelete.pattern}
          name={pendingDelete.name}
          what={pendingDelete.what}
          onDeleted={deletedMany}
          onCancel={() => setPendingDelete(null)}
        />
      )}
      {importing && (
        <RedisImportDialog
          projectRef={projectRef}
          connectionId={connectionId}
          onDone={() => setWalk((n) => n + 1)}
          onClose={() => setImporting(false)}
        />
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
