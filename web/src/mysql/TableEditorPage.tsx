// `/project/{ref}/databases/mysql/tables?database=…&table=…&filter=…&order=…`: the shared Table
// Editor (../postgres/editor/TableView.tsx) on a MariaDB/MySQL table, found by database and name.
// Tables are created and changed with SQL; here their rows are read, edited, inserted and deleted.
import { useMemo, useState } from 'react'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatCount } from '../format'
import { TableView, type TableTarget } from '../postgres/editor/TableView'
import { useResizableWidth } from '../postgres/useResizableWidth'
import { Link, navigate, useLocation } from '../router'
import { useLoad } from '../useLoad'
import { my, myTableRows, type MyColumn, type MyTable } from './api'
import { MyHeader, myHref, useMyContext } from './MyNav'

interface Props {
  projectRef: string
  connectionId?: string
}

/** The address of a table's rows, with filters and an order. */
function tableHref(projectRef: string, connectionId: string | undefined, database: string, table: string, filter: string[] = [], order: string[] = []): string {
  const params: [string, string][] = [
    ['database', database],
    ['table', table],
  ]
  for (const f of filter) params.push(['filter', f])
  for (const o of order) params.push(['order', o])
  return myHref(projectRef, 'tables', connectionId, params)
}

/** A table's columns in order, and its primary key's, as the catalog lists them. */
export function tableColumns(columns: MyColumn[], table: string): { names: string[]; primaryKey: string[] } {
  const own = columns.filter((c) => c.table === table).sort((a, b) => a.position - b.position)
  return { names: own.map((c) => c.name), primaryKey: own.filter((c) => c.key === 'PRI').map((c) => c.name) }
}

export function MysqlTableEditorPage({ projectRef, connectionId }: Props) {
  const { query } = useLocation()
  const ctx = useMyContext(projectRef, connectionId)
  const { database, noConnection } = ctx
  const catalog = useLoad(async (): Promise<{ tables: MyTable[]; columns: MyColumn[] }> => {
    if (noConnection || database === null) return { tables: [], columns: [] }
    const [tables, columns] = await Promise.all([my.tables(projectRef, database, connectionId), my.columns(projectRef, database, connectionId)])
    return { tables, columns }
  }, [projectRef, connectionId, database, noConnection])
  const [search, setSearch] = useState('')
  const sidebar = useResizableWidth('switchboard.mysql.sidebar-width', 280)
  const tableName = query.get('table')
  const table = catalog.data?.tables.find((t) => t.name === tableName)
  const listed = (catalog.data?.tables ?? []).filter((t) => t.name.toLowerCase().includes(search.trim().toLowerCase()))

  const target: TableTarget | null = useMemo(() => {
    if (!table || database === null || !catalog.data) return null
    const { names, primaryKey } = tableColumns(catalog.data.columns, table.name)
    return {
      key: `${projectRef}/${connectionId ?? ''}/${database}/${table.name}`,
      schema: database,
      name: table.name,
      columns: names,
      primaryKey,
      rows: myTableRows(projectRef, database, table.name, connectionId),
    }
  }, [projectRef, connectionId, database, table, catalog.data])

  return (
    <section className="postgres mysql table-editor">
      <MyHeader projectRef={projectRef} connectionId={connectionId} tab="tables" ctx={ctx} />
      {noConnection ? (
        <p className="empty">This project has no MariaDB or MySQL connection yet.</p>
      ) : (
        <div className="pg-layout resizable" style={{ gridTemplateColumns: `${sidebar.width}px 6px minmax(0, 1fr)` }}>
          <aside className="relations" aria-label="Tables">
            <input type="search" aria-label="Search tables" placeholder="Search tables" value={search} onChange={(e) => setSearch(e.target.value)} />
            <ErrorMessage error={catalog.error} />
            {catalog.loading && !catalog.data && <p className="muted small">Loading…</p>}
            {catalog.data && listed.length === 0 && <p className="muted small">{search ? 'No table matches.' : 'No tables in this database.'}</p>}
            <ul>
              {database !== null &&
                listed.map((t) => (
                  <li key={t.name} data-table={`${database}.${t.name}`}>
                    <Link href={tableHref(projectRef, connectionId, database, t.name)} className={`relation-name mono${t.name === tableName ? ' current' : ''}`}>
                      {t.name}
                    </Link>{' '}
                    <span className="muted small" title="Estimated rows">
                      {t.rows_estimate !== null ? `~${formatCount(t.rows_estimate)}` : ''}
                    </span>
                  </li>
                ))}
            </ul>
            <div className="toolbar">
              <button type="button" className="link small" onClick={catalog.reload}>
                Refresh
              </button>
            </div>
            <p className="muted small">Tables are created and changed with SQL, on the SQL tab.</p>
          </aside>
          <div className="resize-handle" role="separator" aria-orientation="vertical" aria-label="Resize the sidebar" onPointerDown={sidebar.onPointerDown} />
          <div className="pg-main">
            {target && database !== null ? (
              <TableView
                key={target.key}
                table={target}
                filterParams={query.getAll('filter')}
                orderParams={query.getAll('order')}
                writable={ctx.writable}
                knowRole={ctx.project.data !== undefined}
                onView={({ filter, order }, replace) => navigate(tableHref(projectRef, connectionId, database, target.name, filter, order), { replace })}
                onFollow={(fk, filter) => navigate(tableHref(projectRef, connectionId, fk.schema, fk.table, [filter]))}
              />
            ) : (
              <p className="empty">{tableName && catalog.data ? 'That table is not there (any more).' : 'Pick a table on the left.'}</p>
            )}
          </div>
        </div>
      )}
    </section>
  )
}
