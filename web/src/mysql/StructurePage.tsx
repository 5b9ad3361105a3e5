// `/project/{ref}/databases/mysql/structure?database=…&table=…`: what a MariaDB/MySQL database holds.
// Its tables (storage engine, estimated rows, sizes, collation), one table's columns, indexes and
// foreign keys, and its views with their definitions. Read-only: the SQL tab changes the schema.
import { ErrorMessage } from '../components/ErrorMessage'
import { formatBytes, formatCount } from '../format'
import { Link, useLocation } from '../router'
import { useLoad } from '../useLoad'
import { my, type MyTable } from './api'
import { MyHeader, myHref, useMyContext } from './MyNav'

interface Props {
  projectRef: string
  connectionId?: string
}

export function StructurePage({ projectRef, connectionId }: Props) {
  const ctx = useMyContext(projectRef, connectionId)
  const { query } = useLocation()
  const { database, noConnection } = ctx
  const listing = useLoad(async () => {
    if (noConnection || database === null) return { tables: [], views: [] }
    const [tables, views] = await Promise.all([my.tables(projectRef, database, connectionId), my.views(projectRef, database, connectionId)])
    return { tables, views }
  }, [projectRef, connectionId, database, noConnection])
  const picked = query.get('table')
  const here = (params: [string, string][]) => myHref(projectRef, 'structure', connectionId, [...(database ? ([['database', database]] as [string, string][]) : []), ...params])
  return (
    <section className="postgres mysql database-page">
      <MyHeader projectRef={projectRef} connectionId={connectionId} tab="structure" ctx={ctx} />
      {noConnection ? (
        <p className="empty">This project has no MariaDB or MySQL connection yet.</p>
      ) : (
        <>
          <h2>Tables</h2>
          <ErrorMessage error={listing.error} />
          {listing.loading && !listing.data && <p className="muted">Loading…</p>}
          {listing.data && listing.data.tables.length === 0 && <p className="empty">No tables in this database.</p>}
          {listing.data && listing.data.tables.length > 0 && (
            <table className="grid compact" aria-label="Tables">
              <thead>
                <tr>
                  <th>name</th>
                  <th>engine</th>
                  <th className="num">rows (estimate)</th>
                  <th className="num">data</th>
                  <th className="num">indexes</th>
                  <th>collation</th>
                  <th>comment</th>
                </tr>
              </thead>
              <tbody>
                {listing.data.tables.map((t) => (
                  <TableRow key={t.name} t={t} href={here([['table', t.name]])} current={t.name === picked} />
                ))}
              </tbody>
            </table>
          )}
          {picked && database !== null && <TableDetails key={`${database}/${picked}`} projectRef={projectRef} connectionId={connectionId} database={database} table={picked} />}
          <h2>Views</h2>
          {listing.data && listing.data.views.length === 0 && <p className="muted">No views.</p>}
          {listing.data && listing.data.views.length > 0 && (
            <table className="grid compact" aria-label="Views">
              <thead>
                <tr>
                  <th>name</th>
                  <th>updatable</th>
                  <th>security</th>
                  <th>definition</th>
                </tr>
              </thead>
              <tbody>
                {listing.data.views.map((v) => (
                  <tr key={v.name} data-object={v.name}>
                    <td className="mono">{v.name}</td>
                    <td>{v.updatable ? 'yes' : 'no'}</td>
                    <td className="mono" title={v.definer ?? undefined}>
                      {v.security ?? ''}
                    </td>
                    <td className="mono small">{v.definition ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  )
}

function TableRow({ t, href, current }: { t: MyTable; href: string; current: boolean }) {
  return (
    <tr data-object={t.name} aria-current={current || undefined}>
      <td className="mono">
        <Link href={href} className={current ? 'current' : undefined}>
          {t.name}
        </Link>
      </td>
      <td>{t.engine ?? ''}</td>
      <td className="num">{t.rows_estimate !== null ? `~${formatCount(t.rows_estimate)}` : '—'}</td>
      <td className="num">{formatBytes(t.data_bytes)}</td>
      <td className="num">{formatBytes(t.index_bytes)}</td>
      <td className="mono">{t.collation ?? ''}</td>
      <td>{t.comment ?? ''}</td>
    </tr>
  )
}

/** One table's columns, indexes and foreign keys. */
function TableDetails({ projectRef, connectionId, database, table }: Props & { database: string; table: string }) {
  const details = useLoad(async () => {
    const [columns, indexes, foreignKeys] = await Promise.all([
      my.columns(projectRef, database, connectionId, table),
      my.indexes(projectRef, database, connectionId, table),
      my.foreignKeys(projectRef, database, connectionId),
    ])
    return { columns, indexes, foreignKeys: foreignKeys.filter((k) => k.table === table) }
  }, [projectRef, connectionId, database, table])
  const rowsHref = myHref(projectRef, 'tables', connectionId, [
    ['database', database],
    ['table', table],
  ])
  return (
    <div className="table-details" data-table-details={`${database}.${table}`}>
      <div className="toolbar">
        <h2 className="mono">
          {database}.{table}
        </h2>
        <Link href={rowsHref}>Open in the Table Editor</Link>
      </div>
      <ErrorMessage error={details.error} />
      {details.loading && !details.data && <p className="muted">Loading…</p>}
      {details.data && (
        <>
          <h3>Columns</h3>
          <table className="grid compact" aria-label="Columns">
            <thead>
              <tr>
                <th>name</th>
                <th>type</th>
                <th>nullable</th>
                <th>default</th>
                <th>key</th>
                <th>extra</th>
                <th>collation</th>
                <th>comment</th>
              </tr>
            </thead>
            <tbody>
              {details.data.columns.map((c) => (
                <tr key={c.name} data-column={c.name}>
                  <td className="mono">{c.name}</td>
                  <td className="mono">{c.column_type}</td>
                  <td>{c.nullable ? 'yes' : 'no'}</td>
                  <td className="mono">{c.default ?? ''}</td>
                  <td className="mono">{c.key}</td>
                  <td className="mono">{c.extra}</td>
                  <td className="mono">{c.collation ?? ''}</td>
                  <td>{c.comment ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Indexes</h3>
          {details.data.indexes.length === 0 ? (
            <p className="muted">No indexes.</p>
          ) : (
            <table className="grid compact" aria-label="Indexes">
              <thead>
                <tr>
                  <th>name</th>
                  <th>columns</th>
                  <th>unique</th>
                  <th>kind</th>
                </tr>
              </thead>
              <tbody>
                {details.data.indexes.map((i) => (
                  <tr key={i.name} data-index={i.name}>
                    <td className="mono">{i.name}</td>
                    <td className="mono">{i.columns.join(', ')}</td>
                    <td>{i.unique ? 'yes' : 'no'}</td>
                    <td>{i.kind ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Foreign keys</h3>
          {details.data.foreignKeys.length === 0 ? (
            <p className="muted">No foreign keys.</p>
          ) : (
            <table className="grid compact" aria-label="Foreign keys">
              <thead>
                <tr>
                  <th>name</th>
                  <th>columns</th>
                  <th>references</th>
                  <th>on update</th>
                  <th>on delete</th>
                </tr>
              </thead>
              <tbody>
                {details.data.foreignKeys.map((k) => (
                  <tr key={k.name} data-foreign-key={k.name}>
                    <td className="mono">{k.name}</td>
                    <td className="mono">{k.columns.join(', ')}</td>
                    <td className="mono">
                      {k.referenced_database}.{k.referenced_table} ({k.referenced_columns.join(', ')})
                    </td>
                    <td>{k.on_update}</td>
                    <td>{k.on_delete}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  )
}
