// One table's rows in the Table Editor, for any SQL engine whose rows routes take the shared query
// and bodies (api.ts `RowsApi`): the grid, its filters, sort and columns, cell edits with the
// conflict check, inserts, deletes and the exact count. The page around it says which table, where
// a filter or a followed foreign key leads, and adds its engine's own controls (`tools`).
import { useCallback, useRef, useState, type ReactNode } from 'react'
import { conflictCurrent, type PgRow, type RowChange, type RowColumn, type RowsApi } from '../../api'
import { TwoStepConfirm, TypedConfirm } from '../../components/ConfirmAction'
import { ErrorMessage } from '../../components/ErrorMessage'
import { READ_ONLY_REASON, WriteButton } from '../../components/WriteButton'
import { formatCount } from '../../format'
import { FilterBuilder } from './FilterBuilder'
import { pkOf } from './paging'
import { filterParam, foreignKeyFilter, nextSort, orderParam, parseFilter, parseOrder, type Filter, type Sort } from './query'
import { RowGrid } from './RowGrid'
import { ConflictDialog, EditCellDialog, InsertRowDialog } from './RowDialogs'
import { useRows } from './useRows'

/** The table a `TableView` shows, as its engine names and reaches it. */
export interface TableTarget {
  /** Names the table and its connection: another one starts over. */
  key: string
  /** Shown before the name (PostgreSQL's schema, MySQL's database). */
  schema: string
  name: string
  /** Its columns' names, known before the first page (for filters and the column chooser). */
  columns: string[]
  /** Its primary key's columns, as the catalog knows them before the first page. */
  primaryKey: string[]
  rows: RowsApi
}

export interface TableViewProps {
  table: TableTarget
  filterParams: string[]
  orderParams: string[]
  writable: boolean
  knowRole: boolean
  /** Shows the table with other filters or another order (`replace`: without a history entry). */
  onView: (view: { filter: string[]; order: string[] }, replace: boolean) => void
  /** Opens the rows a foreign-key value points at: `filter` on the referenced table. */
  onFollow: (foreignKey: NonNullable<RowColumn['foreign_key']>, filter: string) => void
  /** The engine's own controls in the toolbar; `reload` reads the rows again. */
  tools?: (reload: () => void) => ReactNode
}

type Editing = { index: number; column: RowColumn }
type Conflict = { change: RowChange; current: PgRow | null }

export function TableView({ table, filterParams, orderParams, writable, knowRole, onView, onFollow, tools }: TableViewProps) {
  const filters = filterParams.map(parseFilter).filter((f): f is Filter => f !== null)
  const sorts = orderParams.map(parseOrder).filter((s): s is Sort => s !== null)
  const [hidden, setHidden] = useState<Set<string>>(new Set())
  const allColumns = table.columns
  const pkNames = table.primaryKey
  // The primary key is always read: rows are written back by it.
  const select = hidden.size === 0 ? [] : allColumns.filter((c) => !hidden.has(c) || pkNames.includes(c))
  const { state, dispatch, visibleEnd, reload } = useRows({
    rows: table.rows,
    tableKey: table.key,
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
  const [countBusy, setCountBusy] = useState(false)
  const [actionError, setActionError] = useState<unknown>(null)

  const primaryKey = meta?.primary_key ?? pkNames
  const noPk = meta !== null && primaryKey.length === 0
  const readOnlyReason = !writable ? (knowRole ? READ_ONLY_REASON : 'Loading your role…') : noPk ? 'This table has no primary key: its rows cannot be told apart to change them.' : null

  const go = (params: { filter?: string[]; order?: string[] }, replace = false) => {
    setSelected(new Set())
    onView({ filter: params.filter ?? filterParams, order: params.order ?? orderParams }, replace)
  }

  const onVisibleEnd = useCallback((i: number) => visibleEnd(i), [visibleEnd])

  // Where the row of a conflict is in the grid, for the overwrite's answer.
  const conflictIndex = useRef(-1)
  const save = async (change: RowChange, index: number) => {
    try {
      const [row] = await table.rows.update([change])
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
    await table.rows.remove(indexes.map((i) => pkOf(state.rows[i]!, primaryKey)))
    dispatch({ type: 'remove', indexes })
    setSelected(new Set())
    setDeleting(false)
  }

  const countExactly = async () => {
    setCountBusy(true)
    setActionError(null)
    try {
      const page = await table.rows.list({ limit: 1, filter: filterParams, select: primaryKey.length ? primaryKey : allColumns.slice(0, 1), count: 'exact' })
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
        {tools?.(reload)}
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
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
          onFollow={(c, value) => {
            if (!c.foreign_key) return
            setSelected(new Set())
            onFollow(c.foreign_key, foreignKeyFilter(c.foreign_key.column, value))
          }}
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
            const rows = await table.rows.insert([row])
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
