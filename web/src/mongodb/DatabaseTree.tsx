// The left-hand tree: databases, and the collections of those opened, with their sizes and
// document counts from the server's metadata (dbStats/collStats: nothing is counted by scanning).
import { useEffect, useState } from 'react'
import type { MongoDatabase, Role } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatBytes, formatCount } from '../format'
import { Link } from '../router'
import type { Loaded } from '../useLoad'
import { RoleButton } from './roles'
import type { CollectionLists } from './useCollectionLists'

/** Collections listed before the tree asks for a name filter. */
const FILTER_FROM = 30
/** Collections shown at most, however many match. */
const SHOW_AT_MOST = 300

/** 1,234 as "1.2k", 3,400,000 as "3.4M": the tree has little room. */
export function shortCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  if (n < 1000) return String(n)
  const [size, unit] = n < 1e6 ? [1e3, 'k'] : n < 1e9 ? [1e6, 'M'] : [1e9, 'B']
  const v = n / size
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '')}${unit}`
}

interface Props {
  databases: Loaded<MongoDatabase[]>
  lists: CollectionLists
  selectedDb?: string
  selectedCollection?: string
  hrefFor: (db?: string, collection?: string) => string
  role: Role | undefined
  onCreateDatabase: () => void
}

function Collections({ db, lists, selected, hrefFor }: { db: string; lists: CollectionLists; selected?: string; hrefFor: Props['hrefFor'] }) {
  const [filter, setFilter] = useState('')
  const { ensure } = lists
  useEffect(() => ensure(db), [db, ensure])
  const list = lists.get(db)
  const all = list.data ?? []
  const matching = filter ? all.filter((c) => c.name.toLowerCase().includes(filter.toLowerCase())) : all
  return (
    <ul className="tree-collections">
      {all.length > FILTER_FROM && (
        <li>
          <input className="tree-filter" placeholder="Filter collections" aria-label={`Filter the collections of ${db}`} value={filter} onChange={(e) => setFilter(e.target.value)} />
        </li>
      )}
      {list.loading && !list.data && <li className="muted small">Loading…</li>}
      {list.error !== undefined && (
        <li>
          <ErrorMessage error={list.error} />
        </li>
      )}
      {list.data && all.length === 0 && <li className="muted small">No collections</li>}
      {matching.slice(0, SHOW_AT_MOST).map((c) => (
        <li key={c.name} data-collection={`${db}.${c.name}`}>
          <Link
            href={hrefFor(db, c.name)}
            className={c.name === selected ? 'tree-item selected' : 'tree-item'}
            title={c.info ? `${c.name}: ${formatCount(c.info.count ?? 0)} documents · ${formatBytes(c.info.size)}` : `${c.name} (${c.type})`}
          >
            <span className="tree-name mono">{c.name}</span>
            <span className="muted small">{c.type === 'collection' ? shortCount(c.info?.count) : c.type}</span>
          </Link>
        </li>
      ))}
      {matching.length > SHOW_AT_MOST && (
        <li className="muted small">{formatCount(matching.length - SHOW_AT_MOST)} more: filter by name to find them</li>
      )}
    </ul>
  )
}

export function DatabaseTree({ databases, lists, selectedDb, selectedCollection, hrefFor, role, onCreateDatabase }: Props) {
  const [open, setOpen] = useState<Set<string>>(() => new Set(selectedDb ? [selectedDb] : []))
  // Opening a database elsewhere (a link, the overview) opens it here too.
  useEffect(() => {
    if (selectedDb) setOpen((o) => (o.has(selectedDb) ? o : new Set([...o, selectedDb])))
  }, [selectedDb])

  const toggle = (name: string) =>
    setOpen((o) => {
      const next = new Set(o)
      if (next.has(name)) next.delete(name)
      else next.add(name)
      return next
    })

  return (
    <aside className="mongo-tree" aria-label="Databases and collections">
      <div className="tree-head">
        <h2>Databases</h2>
        <RoleButton need="write" role={role} className="small-button" onClick={onCreateDatabase}>
          Create Database
        </RoleButton>
      </div>
      <ErrorMessage error={databases.error} />
      {databases.loading && !databases.data && <p className="muted small">Loading…</p>}
      {databases.data && databases.data.length === 0 && <p className="muted small">No databases yet. Create one with “Create Database”.</p>}
      <ul className="tree-databases">
        {(databases.data ?? []).map((d) => {
          const expanded = open.has(d.name)
          return (
            <li key={d.name} data-database={d.name}>
              <div className="tree-db">
                <button
                  type="button"
                  className="link twisty"
                  aria-expanded={expanded}
                  aria-label={expanded ? `Hide the collections of ${d.name}` : `Show the collections of ${d.name}`}
                  onClick={() => toggle(d.name)}
                >
                  {expanded ? '▾' : '▸'}
                </button>
                <Link
                  href={hrefFor(d.name)}
                  className={d.name === selectedDb && !selectedCollection ? 'tree-item selected' : 'tree-item'}
                  title={`${d.name}: ${d.collections ?? '?'} collections · ${formatBytes(d.size_on_disk)} on disk`}
                >
                  <span className="tree-name mono">{d.name}</span>
                  <span className="muted small">{formatBytes(d.size_on_disk)}</span>
                </Link>
              </div>
              {expanded && <Collections db={d.name} lists={lists} selected={d.name === selectedDb ? selectedCollection : undefined} hrefFor={hrefFor} />}
            </li>
          )
        })}
      </ul>
      <button type="button" className="link small" onClick={() => { databases.reload(); lists.reloadAll() }}>
        Refresh
      </button>
    </aside>
  )
}
