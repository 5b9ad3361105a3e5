// `/project/{ref}/databases/mongodb`: databases and collections on the left, and on the right the
// opened database (its stats and collections) or collection (documents, aggregation, indexes).
// Which database, collection and tab are open lives in the URL (`?db=&collection=&tab=`), so a
// reload or a shared link opens the same place; `?connection_id=` picks a non-primary connection.
import { useCallback, useEffect, useMemo, useState } from 'react'
import { mongodb, projects, type MongoConn, type Role } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatBytes, formatCount } from '../format'
import { Link, navigate, useLocation } from '../router'
import { useLoad } from '../useLoad'
import { AggregationTab } from './AggregationTab'
import { CreateCollectionDialog, CreateDatabaseDialog } from './CreateDialogs'
import { DatabaseOverview } from './DatabaseOverview'
import { DatabaseTree } from './DatabaseTree'
import { DocumentsTab } from './DocumentsTab'
import { ExplainTab } from './ExplainTab'
import { MongoError } from './errors'
import { IndexesTab } from './IndexesTab'
import { SchemaTab } from './SchemaTab'
import { TypedConfirm } from '../components/ConfirmAction'
import { RoleButton } from './roles'
import { useCollectionLists, type CollectionLists } from './useCollectionLists'
import './mongodb.css'

interface Props {
  projectRef: string
  connectionId?: string
}

type Tab = 'documents' | 'aggregation' | 'schema' | 'explain' | 'indexes'
const TABS: { tab: Tab; label: string }[] = [
  { tab: 'documents', label: 'Documents' },
  { tab: 'aggregation', label: 'Aggregation' },
  { tab: 'schema', label: 'Schema' },
  { tab: 'explain', label: 'Explain' },
  { tab: 'indexes', label: 'Indexes' },
]

function CollectionView({
  at,
  db,
  collection,
  tab,
  role,
  lists,
  hrefFor,
  onChanged,
  onDrop,
  dropError,
}: {
  at: MongoConn
  db: string
  collection: string
  tab: Tab
  role: Role | undefined
  lists: CollectionLists
  hrefFor: (db?: string, collection?: string, tab?: Tab) => string
  onChanged: () => void
  onDrop: () => Promise<void>
  dropError: unknown
}) {
  const summary = lists.get(db).data?.find((c) => c.name === collection)
  const info = summary?.info
  const [confirming, setConfirming] = useState(false)
  // collStats may not report the number of indexes; the listing says it.
  const [indexCount, setIndexCount] = useState<number | null>(null)
  useEffect(() => {
    if (!confirming || info?.indexes != null) return
    let live = true
    mongodb.indexes(at, db, collection).then(
      (list) => live && setIndexCount(list.length),
      () => undefined,
    )
    return () => {
      live = false
    }
  }, [confirming, info?.indexes, at, db, collection])
  return (
    <section className="mongo-main" aria-label={`Collection ${db}.${collection}`}>
      <div className="toolbar">
        <h2 className="mono">
          <Link href={hrefFor(db)} className="muted">
            {db}
          </Link>
          .{collection}
        </h2>
        {summary && summary.type !== 'collection' && <span className="badge">{summary.type}</span>}
        {info && (
          <span className="muted small" title="From collStats: the collection's metadata, not a count of its documents">
            {info.count === null ? '' : `${formatCount(info.count)} documents · `}
            {formatBytes(info.size)}
            {info.indexes === null ? '' : ` · ${formatCount(info.indexes)} ${info.indexes === 1 ? 'index' : 'indexes'}`}
          </span>
        )}
        <span className="spacer" />
        <RoleButton need="admin" role={role} className="danger-outline" title="Delete the collection, its documents and its indexes" onClick={() => setConfirming(true)}>
          Drop Collection
        </RoleButton>
      </div>
      {confirming && (
        <TypedConfirm
          title={`Drop the collection ${db}.${collection}?`}
          name={collection}
          what="collection"
          confirmLabel="Drop Collection"
          losses={[
            // collStats' count is metadata, like estimatedDocumentCount: no document is read.
            { label: 'documents', count: info?.count ?? null, estimate: true },
            { label: 'indexes', count: info?.indexes ?? indexCount },
          ]}
          onConfirm={async () => {
            await onDrop()
            setConfirming(false)
          }}
          onCancel={() => setConfirming(false)}
        />
      )}
      <MongoError error={dropError} />
      <div className="tabs" role="tablist" aria-label="Collection">
        {TABS.map((t) => (
          <Link key={t.tab} href={hrefFor(db, collection, t.tab)} role="tab" aria-selected={tab === t.tab} className={tab === t.tab ? 'tab selected' : 'tab'}>
            {t.label}
          </Link>
        ))}
      </div>
      {/* A tab is keyed by its collection: nothing of one collection's query leaks into another's. */}
      {tab === 'documents' && <DocumentsTab key={`${db}.${collection}`} at={at} db={db} collection={collection} role={role} onChanged={onChanged} />}
      {tab === 'aggregation' && <AggregationTab key={`${db}.${collection}`} at={at} db={db} collection={collection} />}
      {tab === 'schema' && <SchemaTab key={`${db}.${collection}`} at={at} db={db} collection={collection} />}
      {tab === 'explain' && <ExplainTab key={`${db}.${collection}`} at={at} db={db} collection={collection} />}
      {tab === 'indexes' && <IndexesTab key={`${db}.${collection}`} at={at} db={db} collection={collection} role={role} />}
    </section>
  )
}

export function MongoPage({ projectRef, connectionId }: Props) {
  const { query } = useLocation()
  const db = query.get('db') || undefined
  const collection = (db && query.get('collection')) || undefined
  const tabParam = query.get('tab')
  const tab: Tab = TABS.some((t) => t.tab === tabParam) ? (tabParam as Tab) : 'documents'

  const project = useLoad(() => projects.get(projectRef), [projectRef])
  const connections = useLoad(() => projects.databases(projectRef), [projectRef])
  const role = project.data?.role
  const mongoConnections = (connections.data ?? []).filter((c) => c.database_type === 'mongodb')
  const active = mongoConnections.find((c) => (connectionId ? c.id === connectionId : c.is_primary))
  const noConnection = connections.data !== undefined && mongoConnections.length === 0

  const at = useMemo<MongoConn>(() => ({ ref: projectRef, connectionId }), [projectRef, connectionId])
  const databases = useLoad(() => mongodb.databases(at), [at])
  const lists = useCollectionLists(at)
  const [version, setVersion] = useState(0)
  const [dialog, setDialog] = useState<'database' | 'collection' | null>(null)
  const [dropError, setDropError] = useState<unknown>(null)
  // A failed drop belongs to the place it was tried.
  useEffect(() => setDropError(null), [db, collection])

  const base = `/project/${encodeURIComponent(projectRef)}`
  const hrefFor = useCallback(
    (toDb?: string, toCollection?: string, toTab?: Tab) => {
      const params = new URLSearchParams()
      if (connectionId) params.set('connection_id', connectionId)
      if (toDb) params.set('db', toDb)
      if (toDb && toCollection) params.set('collection', toCollection)
      if (toCollection && toTab && toTab !== 'documents') params.set('tab', toTab)
      const text = params.toString()
      return `${base}/databases/mongodb${text ? `?${text}` : ''}`
    },
    [base, connectionId],
  )

  /** Listings and stats are stale after a create, a drop or a write. */
  const refresh = useCallback(() => {
    databases.reload()
    lists.reloadAll()
    setVersion((v) => v + 1)
  }, [databases, lists])

  // Drops run from the typed confirmation, which shows a failure itself and stays open.
  const dropDatabase = async () => {
    if (!db) return
    setDropError(null)
    await mongodb.dropDatabase(at, db)
    lists.forget(db)
    navigate(hrefFor())
    refresh()
  }

  const dropCollection = async () => {
    if (!db || !collection) return
    setDropError(null)
    await mongodb.dropCollection(at, db, collection)
    navigate(hrefFor(db))
    refresh()
  }

  const open = (toDb?: string, toCollection?: string) => {
    setDropError(null)
    navigate(hrefFor(toDb, toCollection))
  }

  let main
  if (db && collection) {
    main = (
      <CollectionView
        at={at}
        db={db}
        collection={collection}
        tab={tab}
        role={role}
        lists={lists}
        hrefFor={hrefFor}
        onChanged={lists.reloadAll}
        onDrop={dropCollection}
        dropError={dropError}
      />
    )
  } else if (db) {
    main = (
      <DatabaseOverview
        at={at}
        db={db}
        lists={lists}
        role={role}
        version={version}
        hrefFor={hrefFor}
        onCreateCollection={() => setDialog('collection')}
        onDrop={dropDatabase}
        dropError={dropError}
      />
    )
  } else {
    const list = databases.data ?? []
    main = (
      <section className="mongo-main">
        {list.length > 0 ? (
          <>
            <p className="muted">Pick a database or a collection on the left.</p>
            <table className="grid">
              <thead>
                <tr>
                  <th>Database</th>
                  <th className="num">Collections</th>
                  <th className="num">Size on disk</th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <tr key={d.name}>
                    <td className="mono">
                      <Link href={hrefFor(d.name)}>{d.name}</Link>
                    </td>
                    <td className="num">{d.collections ?? '—'}</td>
                    <td className="num">{formatBytes(d.size_on_disk)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          databases.data && <p className="empty">This server has no databases yet. Create one with “Create Database”.</p>
        )}
      </section>
    )
  }

  return (
    <section className="mongo">
      <p className="crumbs">
        <Link href="/">Projects</Link> / <Link href={base}>{project.data?.name ?? projectRef}</Link> / MongoDB
      </p>
      <div className="toolbar">
        <h1>MongoDB</h1>
        {mongoConnections.length > 1 && (
          <select
            aria-label="Connection"
            value={active?.id ?? ''}
            onChange={(e) => {
              const c = mongoConnections.find((x) => x.id === e.target.value)
              if (c) navigate(c.is_primary ? `${base}/databases/mongodb` : `${base}/databases/mongodb?connection_id=${encodeURIComponent(c.id)}`)
            }}
          >
            {mongoConnections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.identifier}
                {c.is_primary ? ' (primary)' : ''}
              </option>
            ))}
          </select>
        )}
        {mongoConnections.length === 1 && active && <span className="muted mono">{active.identifier}</span>}
      </div>
      <ErrorMessage error={project.error ?? connections.error} />
      {noConnection ? (
        <div className="empty">
          <p>This project has no MongoDB connection yet.</p>
          <p className="muted">
            An admin adds one on the project page (“Add connection”), or with <code>POST /api/platform/mongodb/{projectRef}/connections</code>.
          </p>
        </div>
      ) : (
        <div className="mongo-layout">
          <DatabaseTree
            databases={databases}
            lists={lists}
            selectedDb={db}
            selectedCollection={collection}
            hrefFor={hrefFor}
            role={role}
            onCreateDatabase={() => setDialog('database')}
          />
          {main}
        </div>
      )}
      {dialog === 'database' && (
        <CreateDatabaseDialog
          at={at}
          onCancel={() => setDialog(null)}
          onCreated={(newDb, newCollection) => {
            setDialog(null)
            refresh()
            open(newDb, newCollection)
          }}
        />
      )}
      {dialog === 'collection' && db && (
        <CreateCollectionDialog
          at={at}
          db={db}
          onCancel={() => setDialog(null)}
          onCreated={(name) => {
            setDialog(null)
            refresh()
            open(db, name)
          }}
        />
      )}
    </section>
  )
}
