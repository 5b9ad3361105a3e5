// `/project/{ref}/databases/postgres/tables?table=<oid>&filter=…&order=…`: the Table Editor. The
// table, its filters and its sort live in the address, so a followed foreign key is a page the
// Back button returns from; the columns shown and the selection are the page's own.
import { useMemo, useState } from 'react'
import { pgDb, pgImports, pgTableRows, type PgTable } from '../../api'
import { ErrorMessage } from '../../components/ErrorMessage'
import { ADMIN_ONLY_REASON, READ_ONLY_REASON, WriteButton } from '../../components/WriteButton'
import { formatCount } from '../../format'
import { Link, navigate, useLocation } from '../../router'
import { useLoad } from '../../useLoad'
import { PgHeader, pgHref, usePgContext } from '../PgNav'
import { useResizableWidth } from '../useResizableWidth'
import { CreateFromFileDialog, TableImportDialog } from './ImportDialogs'
import { AlterTableDialog, CreateTableDialog } from './TableDialog'
import { TableView, type TableTarget } from './TableView'

interface Props {
  projectRef: string
  connectionId?: string
}

export function TableEditorPage({ projectRef, connectionId }: Props) {
  const { query } = useLocation()
  const ctx = usePgContext(projectRef, connectionId)
  const tables = useLoad(() => (ctx.noConnection ? Promise.resolve([]) : pgDb.tables(projectRef, connectionId)), [projectRef, connectionId, ctx.noConnection])
  const tableId = Number(query.get('table') ?? NaN)
  const table = tables.data?.find((t) => t.id === tableId)
  const [schema, setSchema] = useState<string | null>(null)
  const [search, setSearch] = useState('')
  // Schemas without tables are listed too (a new table may go there); the listing's failure only
  // leaves the schemas that have tables.
  const schemaList = useLoad(() => (ctx.noConnection ? Promise.resolve([]) : pgDb.schemas(projectRef, connectionId).catch(() => [])), [projectRef, connectionId, ctx.noConnection])
  const schemas = useMemo(
    () => [...new Set([...(schemaList.data ?? []).map((s) => s.name), ...(tables.data ?? []).map((t) => t.schema)])].sort(),
    [tables.data, schemaList.data],
  )
  const shownSchema = schema ?? table?.schema ?? (schemas.includes('public') ? 'public' : (schemas[0] ?? 'public'))
  const [creating, setCreating] = useState(false)
  const [creatingFromFile, setCreatingFromFile] = useState(false)
  const sidebar = useResizableWidth('switchboard.pg.sidebar-width', 280)
  const listed = (tables.data ?? []).filter((t) => t.schema === shownSchema && t.name.toLowerCase().includes(search.trim().toLowerCase()))

  return (
    <section className="postgres table-editor">
      <PgHeader projectRef={projectRef} connectionId={connectionId} tab="tables" ctx={ctx} />
      {ctx.noConnection ? (
        <p className="empty">This project has no PostgreSQL connection yet.</p>
      ) : (
        <div className="pg-layout resizable" style={{ gridTemplateColumns: `${sidebar.width}px 6px minmax(0, 1fr)` }}>
          <aside className="relations" aria-label="Schemas and tables">
            <label className="small">
              Schema
              <select aria-label="Schema" value={shownSchema} onChange={(e) => setSchema(e.target.value)}>
                {(schemas.length ? schemas : [shownSchema]).map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
            <input type="search" aria-label="Search tables" placeholder="Search tables" value={search} onChange={(e) => setSearch(e.target.value)} />
            <ErrorMessage error={tables.error} />
            {tables.loading && !tables.data && <p className="muted small">Loading…</p>}
            {tables.data && listed.length === 0 && <p className="muted small">{search ? 'No table matches.' : 'No tables in this schema.'}</p>}
            <ul>
              {listed.map((t) => (
                <li key={t.id} data-table={`${t.schema}.${t.name}`}>
                  <Link href={pgHref(projectRef, 'tables', connectionId, [['table', String(t.id)]])} className={`relation-name mono${t.id === tableId ? ' current' : ''}`}>
                    {t.name}
                  </Link>{' '}
                  <span className="muted small" title="Estimated rows">
                    {t.live_rows_estimate !== undefined && t.live_rows_estimate >= 0 ? `~${formatCount(t.live_rows_estimate)}` : ''}
                  </span>
                </li>
              ))}
            </ul>
            <div className="toolbar">
              <WriteButton allowed={ctx.admin} reason={ctx.writable ? ADMIN_ONLY_REASON : READ_ONLY_REASON} className="small" onClick={() => setCreating(true)}>
                New table
              </WriteButton>
              <WriteButton allowed={ctx.admin} reason={ctx.writable ? ADMIN_ONLY_REASON : READ_ONLY_REASON} className="small" onClick={() => setCreatingFromFile(true)}>
                From a file…
              </WriteButton>
              <button type="button" className="link small" onClick={tables.reload}>
                Refresh
              </button>
            </div>
          </aside>
          <div className="resize-handle" role="separator" aria-orientation="vertical" aria-label="Resize the sidebar" onPointerDown={sidebar.onPointerDown} />
          {creating && (
            <CreateTableDialog
              projectRef={projectRef}
              connectionId={connectionId}
              schema={shownSchema}
              tables={tables.data ?? []}
              onClose={() => setCreating(false)}
              onCreated={(created) => {
                setCreating(false)
                tables.reload()
                if (created) navigate(pgHref(projectRef, 'tables', connectionId, [['table', String(created.id)]]))
              }}
            />
          )}
          {creatingFromFile && (
            <CreateFromFileDialog
              projectRef={projectRef}
              connectionId={connectionId}
              schema={shownSchema}
              onClose={() => setCreatingFromFile(false)}
              onCreated={(id) => {
                setCreatingFromFile(false)
                tables.reload()
                navigate(pgHref(projectRef, 'tables', connectionId, [['table', String(id)]]))
              }}
            />
          )}
          <div className="pg-main">
            {table ? (
              <PgTableView
                key={`${table.id}/${connectionId ?? ''}`}
                projectRef={projectRef}
                connectionId={connectionId}
                table={table}
                filterParams={query.getAll('filter')}
                orderParams={query.getAll('order')}
                writable={ctx.writable}
                admin={ctx.admin}
                knowRole={ctx.project.data !== undefined}
                tables={tables.data ?? []}
                onSchemaChanged={(dropped) => {
                  tables.reload()
                  if (dropped) navigate(pgHref(projectRef, 'tables', connectionId))
                }}
              />
            ) : (
              <p className="empty">{query.get('table') && tables.data ? 'That table is not there (any more).' : 'Pick a table on the left.'}</p>
            )}
          </div>
        </div>
      )}
    </section>
  )
}

interface ViewProps {
  projectRef: string
  connectionId?: string
  table: PgTable
  filterParams: string[]
  orderParams: string[]
  writable: boolean
  admin: boolean
  knowRole: boolean
  tables: PgTable[]
  onSchemaChanged: (dropped: boolean) => void
}

/** A PostgreSQL table in the shared `TableView`: by its oid, with "Change table" for admins. */
function PgTableView({ projectRef, connectionId, table, filterParams, orderParams, writable, admin, knowRole, tables, onSchemaChanged }: ViewProps) {
  const [altering, setAltering] = useState(false)
  const [importing, setImporting] = useState(false)
  const target: TableTarget = useMemo(
    () => ({
      key: `${projectRef}/${connectionId ?? ''}/${table.id}`,
      schema: table.schema,
      name: table.name,
      columns: table.columns.map((c) => c.name),
      primaryKey: table.primary_keys.map((p) => p.name),
      rows: pgTableRows(projectRef, table.id, connectionId),
    }),
    [projectRef, connectionId, table],
  )
  const go = (tableId: number, filter: string[], order: string[], replace = false) => {
    const p: [string, string][] = [['table', String(tableId)]]
    for (const f of filter) p.push(['filter', f])
    for (const o of order) p.push(['order', o])
    navigate(pgHref(projectRef, 'tables', connectionId, p), { replace })
  }
  return (
    <TableView
      table={target}
      filterParams={filterParams}
      orderParams={orderParams}
      writable={writable}
      knowRole={knowRole}
      onView={({ filter, order }, replace) => go(table.id, filter, order, replace)}
      onFollow={(fk, filter) => fk.table_id !== undefined && go(fk.table_id, [filter], [])}
      tools={(reload) => (
        <>
          <WriteButton allowed={admin} reason={writable ? ADMIN_ONLY_REASON : READ_ONLY_REASON} onClick={() => setAltering(true)}>
            Change table
          </WriteButton>
          <WriteButton allowed={writable} onClick={() => setImporting(true)}>
            Import…
          </WriteButton>
          {(['csv', 'ndjson'] as const).map((format) => (
            <a
              key={format}
              className="button"
              href={pgImports.exportUrl(projectRef, table.id, { filter: filterParams, order: orderParams }, format, connectionId)}
              download={`${table.name}.${format}`}
              title={`Every row matching the current filters, in the current order, as ${format.toUpperCase()}`}
            >
              Export {format.toUpperCase()}
            </a>
          ))}
          {importing && (
            <TableImportDialog
              projectRef={projectRef}
              connectionId={connectionId}
              table={table}
              onClose={() => setImporting(false)}
              onDone={() => reload()}
            />
          )}
          {altering && (
            <AlterTableDialog
              projectRef={projectRef}
              connectionId={connectionId}
              table={table}
              tables={tables}
              onClose={() => setAltering(false)}
              onChanged={(dropped) => {
                setAltering(false)
                onSchemaChanged(dropped)
                if (!dropped) reload()
              }}
            />
          )}
        </>
      )}
    />
  )
}
