// `/project/{ref}/databases/postgres/tables?table=<oid>&filter=…&order=…`: the Table Editor. The
// table, its filters and its sort live in the address, so a followed foreign key is a page the
// Back button returns from; the columns shown and the selection are the page's own.
import { useCallback, useMemo, useRef, useState } from 'react'
import { conflictCurrent, pgDb, pgRows, type PgRow, type PgTable, type RowChange, type RowColumn } from '../../api'
import { TwoStepConfirm, TypedConfirm } from '../../components/ConfirmAction'
import { ErrorMessage } from '../../components/ErrorMessage'
import { ADMIN_ONLY_REASON, READ_ONLY_REASON, WriteButton } from '../../components/WriteButton'
import { formatCount } from '../../format'
import { Link, navigate, useLocation } from '../../router'
import { useLoad } from '../../useLoad'
import { PgHeader, pgHref, usePgContext } from '../PgNav'
import { useResizableWidth } from '../useResizableWidth'
import { FilterBuilder } from './FilterBuilder'
import { pkOf } from './paging'
import { filterParam, foreignKeyFilter, nextSort, orderParam, parseFilter, parseOrder, type Filter, type Sort } from './query'
import { RowGrid } from './RowGrid'
import { AlterTableDialog, CreateTableDialog } from './TableDialog'
import { ConflictDialog, EditCellDialog, InsertRowDialog } from './RowDialogs'
import { useRows } from './useRows'

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
          <div className="pg-main">
            {table ? (
              <TableView
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

type Editing = { index: number; column: RowColumn }
type Conflict = { change: RowChange; current: PgRow | null }

function TableView({ projectRef, connectionId, table, filterParams, orderParams, writable, admin, knowRole, tables, onSchemaChanged }: ViewProps) {
  const filters = filterParams.map(parseFilter).filter((f): f is Filter => f !== null)
  const sorts = orderParams.map(parseOrder).filter((s): s is Sort => s !== null)
  const [hidden, setHidden] = useState<Set<string>>(new Set())
  const allColumns = table.columns.map((c) => c.name)
  const pkNames = table.primary_keys.map((p) => p.name)
  // The primary key is always read: rows are written back by it.
  const select = hidden.size === 0 ? [] : allColumns.filter((c) => !hidden.has(c) || pkNames.includes(c))
  const { state, dispatch, visibleEnd, reload } = useRows({
    projectRef,
    connectionId,
    tableId: table.id,
    order: orderParams,
    filter: filterParams,
    select,
  })
  const meta = state.meta
  const [panel, setPanel] = useState<'filters' | 'columns' | null>(filters.length > 0 ? 'filters' : null)
  const [selected, setSelected] = useState<Set<number>>(new Set())
  const [editing, setEditing] = useState<Editing | null>(null)
  const [inserting, setInserting] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const [conflict, setConflict] = useState<Conflict | null>(null)
  const [altering, setAltering] = useState(false)
  const [countBusy, setCountBusy] = useState(false)
  const [actionError, setActionError] = useState<unknown>(null)

  const primaryKey = meta?.primary_key ?? pkNames
  const noPk = meta !== null && primaryKey.length === 0
  const readOnlyReason = !writable ? (knowRole ? READ_ONLY_REASON : 'Loading your role…') : noPk ? 'This table has no primary key: its rows cannot be told apart to change them.' : null

  const go = (params: { filter?: string[]; order?: string[]; table?: number }, replace = false) => {
    const p: [string, string][] = [['table', String(params.table ?? table.id)]]
    for (const f of params.filter ?? filterParams) p.push(['filter', f])
    for (const o of params.order ?? orderParams) p.push(['order', o])
    setSelected(new Set())
    navigate(pgHref(projectRef, 'tables', connectionId, p), { replace })
  }

  const onVisibleEnd = useCallback((i: number) => visibleEnd(i), [visibleEnd])

  // Where the row of a conflict is in the grid, for the overwrite's answer.
  const conflictIndex = useRef(-1)
  const save = async (change: RowChange, index: number) => {
    try {
      const [row] = await pgRows.update(projectRef, table.id, [change], connectionId)
      if (row) dispatch({ type: 'replace', index, row })
      setEditing(null)
      setConflict(null)
    } catch (e) {
      const c = conflictCurrent(e)
      if (!c) throw e
      setEditing(null)
      setConflict({ change, current: c.current })
      conflictIndex.current = index
    }
  }

  const deleteSelected = async () => {
    const indexes = [...selected].sort((a, b) => a - b)
    await pgRows.remove(projectRef, table.id, indexes.map((i) => pkOf(state.rows[i]!, primaryKey)), connectionId)
    dispatch({ type: 'remove', indexes })
    setSelected(new Set())
    setDeleting(false)
  }

  const countExactly = async () => {
    setCountBusy(true)
    setActionError(null)
    try {
      const page = await pgRows.list(projectRef, table.id, { limit: 1, filter: filterParams, select: primaryKey.length ? primaryKey : allColumns.slice(0, 1), count: 'exact' }, connectionId)
      dispatch({ type: 'count', count: page.count, estimate: page.count_is_estimate, note: page.count_note })
    } catch (e) {
      setActionError(e)
    } finally {
      setCountBusy(false)
    }
  }

  const count = meta?.count
  const footer = state.error ? (
    <div>
      <ErrorMessage error={state.error} />
      <button type="button" onClick={() => (state.started ? visibleEnd(state.rows.length) : reload())}>
        Try again
      </button>
    </div>
  ) : state.loading ? (
    <span className="muted small">Loading rows…</span>
  ) : state.started && state.cursor === null ? (
    <span className="muted small">{state.rows.length === 0 ? (filters.length > 0 ? 'No rows match the filters.' : 'The table has no rows.') : `All ${formatCount(state.rows.length)} rows loaded.`}</span>
  ) : state.started ? (
    <span className="muted small">Scroll for more…</span>
  ) : null

  return (
    <div className="table-view" data-table-view={`${table.schema}.${table.name}`}>
      <div className="toolbar">
        <h2 className="mono">
          {table.schema}.{table.name}
        </h2>
        <span className="muted small" data-count>
          {count === null || count === undefined
            ? meta?.count_note ?? ''
            : `${meta?.count_is_estimate ? '~' : ''}${formatCount(count)} ${count === 1 ? 'row' : 'rows'}${meta?.count_is_estimate ? ' (estimate)' : ''}`}
        </span>
        {meta && (meta.count_is_estimate || meta.count === null) && (
          <button type="button" className="small" onClick={() => void countExactly()} disabled={countBusy}>
            {countBusy ? 'Counting…' : 'Count exactly'}
          </button>
        )}
        {meta?.count_note && meta.count !== null && <span className="muted small">{meta.count_note}</span>}
        <span className="spacer" />
        <button type="button" aria-expanded={panel === 'filters'} onClick={() => setPanel(panel === 'filters' ? null : 'filters')}>
          Filter{filters.length ? ` (${filters.length})` : ''}
        </button>
        <button type="button" aria-expanded={panel === 'columns'} onClick={() => setPanel(panel === 'columns' ? null : 'columns')}>
          Columns{hidden.size ? ` (${allColumns.length - hidden.size}/${allColumns.length})` : ''}
        </button>
        <WriteButton allowed={readOnlyReason === null} reason={readOnlyReason ?? undefined} onClick={() => setInserting(true)} disabled={!meta}>
          Insert row
        </WriteButton>
        {selected.size === 1 ? (
          // One row: the quick confirm (Cancel takes the button's place, Confirm arms late).
          <TwoStepConfirm
            confirmLabel="Delete row"
            onConfirm={() => deleteSelected().catch((e: unknown) => setActionError(e))}
            trigger={(ask) => (
              <WriteButton allowed={readOnlyReason === null} reason={readOnlyReason ?? undefined} className="danger-outline" onClick={ask}>
                Delete 1 selected
              </WriteButton>
            )}
          />
        ) : (
          <WriteButton allowed={readOnlyReason === null} reason={readOnlyReason ?? undefined} className="danger-outline" disabled={selected.size === 0} onClick={() => setDeleting(true)}>
            Delete {selected.size ? `${selected.size} ` : ''}selected
          </WriteButton>
        )}
        <WriteButton allowed={admin} reason={writable ? ADMIN_ONLY_REASON : READ_ONLY_REASON} onClick={() => setAltering(true)}>
          Change table
        </WriteButton>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
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
      {noPk && writable && <p className="notice small">This table has no primary key: rows can be read, not changed, here.</p>}
      {!writable && knowRole && <p className="read-only-note small">{READ_ONLY_REASON}</p>}
      {panel === 'filters' && (
        <FilterBuilder key={filterParams.join('\n')} columns={allColumns} applied={filters} onApply={(fs) => go({ filter: fs.map(filterParam).filter((p): p is string => p !== null) })} />
      )}
      {panel === 'columns' && (
        <fieldset className="column-chooser">
          <legend className="small muted">Columns shown (the primary key is always read)</legend>
          {allColumns.map((c) => (
            <label key={c} className="inline small">
              <input
                type="checkbox"
                checked={!hidden.has(c)}
                onChange={(e) => {
                  const next = new Set(hidden)
                  if (e.target.checked) next.delete(c)
                  else next.add(c)
                  setHidden(next)
                }}
              />
              <span className="mono">{c}</span>
            </label>
          ))}
        </fieldset>
      )}
      {filters.length > 0 && panel !== 'filters' && (
        <p className="small muted">
          Filtered: <span className="mono">{filterParams.join(' and ')}</span>{' '}
          <button type="button" className="link small" onClick={() => go({ filter: [] })}>
            Clear
          </button>
        </p>
      )}
      <ErrorMessage error={actionError} onDismiss={() => setActionError(null)} />
      {meta ? (
        <RowGrid
          columns={meta.columns}
          rows={state.rows}
          sort={sorts}
          onSort={(c) => go({ order: nextSort(sorts, c).map(orderParam) }, true)}
          readOnlyReason={readOnlyReason}
          onEdit={(index, column) => setEditing({ index, column })}
          onFollow={(c, value) => c.foreign_key && go({ table: c.foreign_key.table_id, filter: [foreignKeyFilter(c.foreign_key.column, value)], order: [] })}
          selected={selected}
          onSelect={(i, on) => {
            const next = new Set(selected)
            if (on) next.add(i)
            else next.delete(i)
            setSelected(next)
          }}
          onVisibleEnd={onVisibleEnd}
          footer={footer}
        />
      ) : (
        footer ?? <p className="muted">Loading rows…</p>
      )}
      {editing && state.rows[editing.index] && (
        <EditCellDialog
          column={editing.column}
          value={state.rows[editing.index]![editing.column.name]}
          onClose={() => setEditing(null)}
          onSave={(value) => {
            const row = state.rows[editing.index]!
            const name = editing.column.name
            return save({ pk: pkOf(row, primaryKey), set: { [name]: value }, expect: { [name]: row[name] } }, editing.index)
          }}
        />
      )}
      {conflict && (
        <ConflictDialog
          mine={conflict.change.set}
          current={conflict.current}
          onClose={() => setConflict(null)}
          onReload={() => {
            setConflict(null)
            reload()
          }}
          onOverwrite={() => {
            const current = conflict.current!
            return save({ pk: pkOf(current, primaryKey), set: conflict.change.set, expect: current }, conflictIndex.current)
          }}
        />
      )}
      {inserting && meta && (
        <InsertRowDialog
          columns={meta.columns}
          onClose={() => setInserting(false)}
          onInsert={async (row) => {
            const rows = await pgRows.insert(projectRef, table.id, [row], connectionId)
            dispatch({ type: 'insert', rows })
            setSelected(new Set())
            setInserting(false)
          }}
        />
      )}
      {deleting && selected.size > 1 && (
        // Several rows: the table's name typed, the exact number of rows stated.
        <TypedConfirm
          title={`Delete ${selected.size} rows from ${table.schema}.${table.name}?`}
          name={table.name}
          what="table"
          losses={[{ label: 'rows', count: selected.size }]}
          confirmLabel={`Delete ${selected.size} rows`}
          onCancel={() => setDeleting(false)}
          onConfirm={deleteSelected}
        />
      )}
    </div>
  )
}
