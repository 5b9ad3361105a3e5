// A database opened without a collection: its dbStats, its collections with their sizes, and the
// actions on it (create a collection; drop the database, admin only, confirmed), and its profiler.
import { useCallback, useEffect, useState } from 'react'
import { TypedConfirm } from '../components/ConfirmAction'
import { mongodb, type MongoConn, type Role } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatBytes, formatCount } from '../format'
import { Link } from '../router'
import { useLoad } from '../useLoad'
import { MongoError } from './errors'
import { ProfilerPanel } from './ProfilerPanel'
import { RoleButton } from './roles'
import type { CollectionLists } from './useCollectionLists'

/** Databases MongoDB needs for itself; the API refuses to drop them. */
export const SYSTEM_DATABASES = ['admin', 'config', 'local']

function n(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : formatCount(v)
}

interface Props {
  at: MongoConn
  db: string
  lists: CollectionLists
  role: Role | undefined
  version: number
  hrefFor: (db?: string, collection?: string) => string
  onCreateCollection: () => void
  onDrop: () => Promise<void>
  dropError: unknown
}

export function DatabaseOverview({ at, db, lists, role, version, hrefFor, onCreateCollection, onDrop, dropError }: Props) {
  const load = useCallback(() => mongodb.stats(at, db), [at, db])
  const stats = useLoad(load, [load, version])
  const { ensure } = lists
  useEffect(() => ensure(db), [db, ensure])
  const list = lists.get(db)
  const system = SYSTEM_DATABASES.includes(db)
  const s = stats.data
  const [confirming, setConfirming] = useState(false)
  // Documents: dbStats' objects (metadata), else the sum of the collections' collStats counts.
  const listed = list.data?.filter((c) => c.type === 'collection')
  const summed = listed && listed.every((c) => c.info?.count != null) ? listed.reduce((n, c) => n + (c.info?.count ?? 0), 0) : null

  return (
    <section className="mongo-main" aria-label={`Database ${db}`}>
      <div className="toolbar">
        <h2 className="mono">{db}</h2>
        <RoleButton need="write" role={role} className="primary" onClick={onCreateCollection}>
          Create Collection
        </RoleButton>
        <RoleButton
          need="admin"
          role={role}
          className="danger-outline"
          disabled={system}
          title={system ? `${db} is a system database; MongoDB needs it` : 'Delete the database and every collection in it'}
          onClick={() => setConfirming(true)}
        >
          Drop Database
        </RoleButton>
      </div>
      {confirming && (
        <TypedConfirm
          title={`Drop the database ${db}?`}
          name={db}
          what="database"
          confirmLabel="Drop Database"
          losses={[
            { label: 'collections', count: s?.collections ?? listed?.length ?? null },
            { label: 'documents', count: s?.objects ?? summed, estimate: true },
          ]}
          onConfirm={async () => {
            await onDrop()
            setConfirming(false)
          }}
          onCancel={() => setConfirming(false)}
        />
      )}
      <MongoError error={dropError} />
      <ErrorMessage error={stats.error} />
      {s && (
        <dl className="stats">
          <div>
            <dt>Collections</dt>
            <dd>{n(s.collections)}</dd>
          </div>
          <div>
            <dt>Views</dt>
            <dd>{n(s.views)}</dd>
          </div>
          <div>
            <dt>Documents</dt>
            <dd>{n(s.objects)}</dd>
          </div>
          <div>
            <dt>Data size</dt>
            <dd>{formatBytes(s.data_size)}</dd>
          </div>
          <div>
            <dt>Storage size</dt>
            <dd>{formatBytes(s.storage_size)}</dd>
          </div>
          <div>
            <dt>Average document</dt>
            <dd>{formatBytes(s.avg_obj_size === null ? null : Math.round(s.avg_obj_size))}</dd>
          </div>
          <div>
            <dt>Indexes</dt>
            <dd>
              {n(s.indexes)} · {formatBytes(s.index_size)}
            </dd>
          </div>
        </dl>
      )}
      <ErrorMessage error={list.error} />
      {list.data && list.data.length === 0 && (
        <p className="empty">This database has no collections. Create one with “Create Collection”.</p>
      )}
      {list.data && list.data.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>Collection</th>
              <th>Type</th>
              <th className="num">Documents</th>
              <th className="num">Data size</th>
              <th className="num">Storage</th>
              <th className="num">Indexes</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((c) => (
              <tr key={c.name}>
                <td className="mono">
                  <Link href={hrefFor(db, c.name)}>{c.name}</Link>
                </td>
                <td>{c.type}</td>
                <td className="num">{n(c.info?.count)}</td>
                <td className="num">{formatBytes(c.info?.size)}</td>
                <td className="num">{formatBytes(c.info?.storage_size)}</td>
                <td className="num">{n(c.info?.indexes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ProfilerPanel key={db} at={at} db={db} role={role} />
    </section>
  )
}
