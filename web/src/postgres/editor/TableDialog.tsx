// Creating a table, or changing one (rename, comment, add or drop a column, drop the table), as an
// admin: every change is previewed as the server's `dry_run` SQL before Apply.
import { useState } from 'react'
import { pgDb, type ColumnSpec, type PgTable } from '../../api'
import { useLoad } from '../../useLoad'
import { DryRunApply, type TypedDrop } from '../DryRun'
import { Modal } from './RowDialogs'

/** Types offered while typing one (any other PostgreSQL type may be typed). */
export const TYPE_SUGGESTIONS = [
  'bigint',
  'integer',
  'smallint',
  'numeric',
  'double precision',
  'real',
  'text',
  'varchar(255)',
  'boolean',
  'uuid',
  'jsonb',
  'json',
  'date',
  'time',
  'timestamptz',
  'timestamp',
  'bytea',
  'text[]',
  'integer[]',
]

/** A column as the form holds it. */
export interface ColumnDraft {
  name: string
  type: string
  defaultValue: string
  defaultIsExpression: boolean
  identity: boolean
  nullable: boolean
  primaryKey: boolean
  unique: boolean
  /** `schema.table` and column it references, or empty. */
  refTable: string
  refColumn: string
  onDelete: string
}

export function emptyColumn(extra: Partial<ColumnDraft> = {}): ColumnDraft {
  return {
    name: '',
    type: 'text',
    defaultValue: '',
    defaultIsExpression: false,
    identity: false,
    nullable: true,
    primaryKey: false,
    unique: false,
    refTable: '',
    refColumn: '',
    onDelete: 'NO ACTION',
    ...extra,
  }
}

/** The column of the API from the form's; what is left empty is not sent. */
export function columnSpec(c: ColumnDraft): ColumnSpec {
  const spec: ColumnSpec = { name: c.name.trim(), type: c.type.trim(), is_nullable: c.nullable && !c.primaryKey }
  if (c.primaryKey) spec.is_primary_key = true
  if (c.unique) spec.is_unique = true
  if (c.identity) {
    spec.is_identity = true
    spec.identity_generation = 'BY DEFAULT'
  } else if (c.defaultValue !== '') {
    spec.default_value = c.defaultValue
    spec.default_value_format = c.defaultIsExpression ? 'expression' : 'literal'
  }
  if (c.refTable && c.refColumn) {
    const dot = c.refTable.indexOf('.')
    spec.references = { schema: c.refTable.slice(0, dot), table: c.refTable.slice(dot + 1), column: c.refColumn, on_delete: c.onDelete }
  }
  return spec
}

/** Why the columns cannot be sent yet, or null. */
export function columnsProblem(columns: ColumnDraft[]): string | null {
  if (columns.length === 0) return 'Add at least one column.'
  const names = new Set<string>()
  for (const c of columns) {
    if (!c.name.trim()) return 'Every column needs a name.'
    if (!c.type.trim()) return `Column ${c.name} needs a type.`
    if (names.has(c.name.trim())) return `Two columns are named ${c.name}.`
    names.add(c.name.trim())
    if (c.refTable && !c.refColumn) return `Pick the referenced column of ${c.name}.`
  }
  return null
}

function ColumnRow({ c, tables, onChange, onRemove }: { c: ColumnDraft; tables: PgTable[]; onChange: (c: ColumnDraft) => void; onRemove?: () => void }) {
  const target = tables.find((t) => `${t.schema}.${t.name}` === c.refTable)
  return (
    <div className="column-spec" data-column-spec={c.name}>
      <input aria-label="Column name" placeholder="name" value={c.name} onChange={(e) => onChange({ ...c, name: e.target.value })} />
      <input aria-label="Column type" list="pg-type-suggestions" placeholder="type" value={c.type} onChange={(e) => onChange({ ...c, type: e.target.value })} />
      <input
        aria-label="Column default"
        placeholder={c.identity ? 'identity' : 'default'}
        disabled={c.identity}
        value={c.defaultValue}
        title="A literal value, or an expression such as now() with “expr” ticked"
        onChange={(e) => onChange({ ...c, defaultValue: e.target.value })}
      />
      <label className="inline small" title="The default is an SQL expression (now(), gen_random_uuid()), not a literal">
        <input type="checkbox" aria-label="Default is an expression" checked={c.defaultIsExpression} disabled={c.identity} onChange={(e) => onChange({ ...c, defaultIsExpression: e.target.checked })} />
        expr
      </label>
      <span>
        <label className="inline small">
          <input type="checkbox" aria-label="Primary key" checked={c.primaryKey} onChange={(e) => onChange({ ...c, primaryKey: e.target.checked })} />
          primary
        </label>
        <label className="inline small">
          <input type="checkbox" aria-label="Identity" checked={c.identity} onChange={(e) => onChange({ ...c, identity: e.target.checked })} />
          identity
        </label>
      </span>
      <span>
        <label className="inline small">
          <input type="checkbox" aria-label="Nullable" checked={c.nullable && !c.primaryKey} disabled={c.primaryKey} onChange={(e) => onChange({ ...c, nullable: e.target.checked })} />
          nullable
        </label>
        <label className="inline small">
          <input type="checkbox" aria-label="Unique" checked={c.unique} onChange={(e) => onChange({ ...c, unique: e.target.checked })} />
          unique
        </label>
      </span>
      {onRemove ? (
        <button type="button" className="link" aria-label={`Remove column ${c.name}`} onClick={onRemove}>
          ×
        </button>
      ) : (
        <span />
      )}
      <div className="fk-spec small">
        <span className="muted">references</span>
        <select aria-label="Referenced table" value={c.refTable} onChange={(e) => onChange({ ...c, refTable: e.target.value, refColumn: '' })}>
          <option value="">no foreign key</option>
          {tables.map((t) => (
            <option key={t.id} value={`${t.schema}.${t.name}`}>
              {t.schema}.{t.name}
            </option>
          ))}
        </select>
        {target && (
          <>
            <select aria-label="Referenced column" value={c.refColumn} onChange={(e) => onChange({ ...c, refColumn: e.target.value })}>
              <option value="">column…</option>
              {target.columns.map((col) => (
                <option key={col.name} value={col.name}>
                  {col.name} ({col.format})
                </option>
              ))}
            </select>
            <select aria-label="On delete" value={c.onDelete} onChange={(e) => onChange({ ...c, onDelete: e.target.value })}>
              {['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'].map((a) => (
                <option key={a} value={a}>
                  on delete {a.toLowerCase()}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
    </div>
  )
}

/** The common types, then the database's own enums (schema-qualified outside public). */
function TypeSuggestions({ projectRef, connectionId }: { projectRef: string; connectionId?: string }) {
  // Suggestions only: without the types listing, the common types are still offered.
  const types = useLoad(() => pgDb.list(projectRef, 'types', connectionId).catch(() => []), [projectRef, connectionId])
  const enums = (types.data ?? [])
    .filter((t) => Array.isArray(t.enums) && t.enums.length > 0 && typeof t.name === 'string')
    .map((t) => (t.schema === 'public' || typeof t.schema !== 'string' ? String(t.name) : `${t.schema}.${String(t.name)}`))
  return (
    <datalist id="pg-type-suggestions">
      {[...TYPE_SUGGESTIONS, ...enums].map((t) => (
        <option key={t} value={t} />
      ))}
    </datalist>
  )
}

export function CreateTableDialog({
  projectRef,
  connectionId,
  schema,
  tables,
  onClose,
  onCreated,
}: {
  projectRef: string
  connectionId?: string
  schema: string
  tables: PgTable[]
  onClose: () => void
  onCreated: (table: PgTable | null) => void
}) {
  const [name, setName] = useState('')
  const [schemaName, setSchemaName] = useState(schema)
  const [comment, setComment] = useState('')
  const [columns, setColumns] = useState<ColumnDraft[]>([emptyColumn({ name: 'id', type: 'bigint', identity: true, primaryKey: true, nullable: false })])
  const body = { schema: schemaName.trim(), name: name.trim(), comment: comment.trim() || undefined, columns: columns.map(columnSpec) }
  const invalid = !name.trim() ? 'Name the table.' : columnsProblem(columns)
  return (
    <Modal title="New table" onClose={onClose} wide>
      <TypeSuggestions projectRef={projectRef} connectionId={connectionId} />
      <div className="toolbar">
        <label>
          Schema
          <input aria-label="Table schema" value={schemaName} onChange={(e) => setSchemaName(e.target.value)} />
        </label>
        <label>
          Name
          <input aria-label="Table name" value={name} autoFocus onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Comment
          <input aria-label="Table comment" value={comment} onChange={(e) => setComment(e.target.value)} />
        </label>
      </div>
      <h3 className="small">Columns</h3>
      <div className="column-rows">
        {columns.map((c, i) => (
          <ColumnRow
            key={i}
            c={c}
            tables={tables}
            onChange={(next) => setColumns(columns.map((x, j) => (j === i ? next : x)))}
            onRemove={() => setColumns(columns.filter((_, j) => j !== i))}
          />
        ))}
      </div>
      <button type="button" className="small" onClick={() => setColumns([...columns, emptyColumn()])}>
        Add column
      </button>
      <DryRunApply
        fingerprint={JSON.stringify(body)}
        invalid={invalid}
        run={(dryRun) => pgDb.createTable(projectRef, body, dryRun, connectionId)}
        applyLabel="Create table"
        onApplied={(result) => onCreated(result && typeof result === 'object' && 'id' in result ? (result as PgTable) : null)}
      />
      <div className="buttons">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  )
}

type AlterAction = 'rename' | 'add' | 'edit-column' | 'drop-column' | 'drop-table'

/** A column's changes as `PATCH …/columns/{id}` takes them: only what differs from the listing. */
export interface ColumnEdit {
  name: string
  type: string
  /** Empty: no default. */
  defaultValue: string
  defaultIsExpression: boolean
  nullable: boolean
}

export function columnChange(before: PgTable['columns'][number], after: ColumnEdit): Partial<ColumnSpec> & { drop_default?: boolean } {
  const change: Partial<ColumnSpec> & { drop_default?: boolean } = {}
  if (after.name.trim() !== before.name) change.name = after.name.trim()
  if (after.type.trim() !== before.data_type && after.type.trim() !== before.format) change.type = after.type.trim()
  if (after.nullable !== before.is_nullable) change.is_nullable = after.nullable
  const oldDefault = before.default_value ?? ''
  if (after.defaultValue !== oldDefault) {
    if (after.defaultValue === '') change.drop_default = true
    else {
      change.default_value = after.defaultValue
      change.default_value_format = after.defaultIsExpression ? 'expression' : 'literal'
    }
  }
  return change
}

function EditColumn({ projectRef, connectionId, table, onDone }: { projectRef: string; connectionId?: string; table: PgTable; onDone: () => void }) {
  const [id, setId] = useState(table.columns[0]?.id ?? '')
  const before = table.columns.find((c) => c.id === id)
  // The listing's default is an expression (e.g. 'x'::text or now()): edited as one.
  const start = (c: typeof before): ColumnEdit => ({
    name: c?.name ?? '',
    type: c?.data_type ?? '',
    defaultValue: c?.default_value ?? '',
    defaultIsExpression: true,
    nullable: c?.is_nullable ?? true,
  })
  const [edit, setEdit] = useState<ColumnEdit>(() => start(before))
  const change = before ? columnChange(before, edit) : {}
  return (
    <>
      <label>
        Column
        <select
          aria-label="Column to change"
          value={id}
          onChange={(e) => {
            setId(e.target.value)
            setEdit(start(table.columns.find((c) => c.id === e.target.value)))
          }}
        >
          {table.columns.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.format})
            </option>
          ))}
        </select>
      </label>
      <div className="toolbar">
        <label>
          Name
          <input aria-label="Changed column name" value={edit.name} onChange={(e) => setEdit({ ...edit, name: e.target.value })} />
        </label>
        <label>
          Type
          <input aria-label="Changed column type" list="pg-type-suggestions" value={edit.type} onChange={(e) => setEdit({ ...edit, type: e.target.value })} />
        </label>
        <label>
          Default
          <input aria-label="Changed column default" value={edit.defaultValue} placeholder="none" onChange={(e) => setEdit({ ...edit, defaultValue: e.target.value })} />
        </label>
        <label className="inline small">
          <input type="checkbox" checked={edit.defaultIsExpression} onChange={(e) => setEdit({ ...edit, defaultIsExpression: e.target.checked })} />
          expr
        </label>
        <label className="inline small">
          <input type="checkbox" aria-label="Changed column nullable" checked={edit.nullable} onChange={(e) => setEdit({ ...edit, nullable: e.target.checked })} />
          nullable
        </label>
      </div>
      <DryRunApply
        fingerprint={JSON.stringify([id, change])}
        invalid={Object.keys(change).length === 0 ? 'Change something first.' : !edit.name.trim() ? 'The column needs a name.' : null}
        run={(dry) => pgDb.alterColumn(projectRef, id, change, dry, connectionId)}
        applyLabel="Change column"
        onApplied={onDone}
      />
    </>
  )
}

export function AlterTableDialog({
  projectRef,
  connectionId,
  table,
  tables,
  onClose,
  onChanged,
}: {
  projectRef: string
  connectionId?: string
  table: PgTable
  tables: PgTable[]
  onClose: () => void
  /** After a change: `dropped` when the table is gone. */
  onChanged: (dropped: boolean) => void
}) {
  const [action, setAction] = useState<AlterAction>('add')
  const [name, setName] = useState(table.name)
  const [comment, setComment] = useState(table.comment ?? '')
  const [column, setColumn] = useState<ColumnDraft>(emptyColumn())
  const [dropColumn, setDropColumn] = useState(table.columns[0]?.id ?? '')
  const done = (dropped: boolean) => () => onChanged(dropped)
  return (
    <Modal title={`Change ${table.schema}.${table.name}`} onClose={onClose} wide>
      <TypeSuggestions projectRef={projectRef} connectionId={connectionId} />
      <div className="tabs" role="tablist">
        {(
          [
            ['add', 'Add column'],
            ['edit-column', 'Change column'],
            ['drop-column', 'Drop column'],
            ['rename', 'Rename / comment'],
            ['drop-table', 'Drop table'],
          ] as [AlterAction, string][]
        ).map(([a, label]) => (
          <button key={a} type="button" role="tab" aria-selected={action === a} className={`link tab${action === a ? ' current' : ''}`} onClick={() => setAction(a)}>
            {label}
          </button>
        ))}
      </div>
      {action === 'add' && (
        <>
          <ColumnRow c={column} tables={tables} onChange={setColumn} />
          <DryRunApply
            fingerprint={JSON.stringify(columnSpec(column))}
            invalid={columnsProblem([column])}
            run={(dry) => pgDb.addColumn(projectRef, table.id, columnSpec(column), dry, connectionId)}
            applyLabel="Add column"
            onApplied={done(false)}
          />
        </>
      )}
      {action === 'edit-column' && <EditColumn projectRef={projectRef} connectionId={connectionId} table={table} onDone={done(false)} />}
      {action === 'drop-column' && (
        <>
          <label>
            Column
            <select aria-label="Column to drop" value={dropColumn} onChange={(e) => setDropColumn(e.target.value)}>
              {table.columns.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.format})
                </option>
              ))}
            </select>
          </label>
          <DryRunApply
            fingerprint={dropColumn}
            run={(dry) => pgDb.dropColumn(projectRef, dropColumn, dry, connectionId)}
            applyLabel="Drop column"
            danger
            onApplied={done(false)}
            typed={dropColumnConfirm(table, dropColumn)}
          />
        </>
      )}
      {action === 'rename' && (
        <>
          <label>
            Name
            <input aria-label="New table name" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Comment
            <input aria-label="New table comment" value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <DryRunApply
            fingerprint={JSON.stringify([name, comment])}
            invalid={name.trim() ? null : 'Name the table.'}
            run={(dry) =>
              pgDb.alterTable(projectRef, table.id, { name: name.trim() !== table.name ? name.trim() : undefined, comment: comment !== (table.comment ?? '') ? comment : undefined }, dry, connectionId)
            }
            onApplied={done(false)}
          />
        </>
      )}
      {action === 'drop-table' && (
        <>
          <p>
            Drops <strong className="mono">{table.schema}.{table.name}</strong> and every row in it. This cannot be undone.
          </p>
          <DryRunApply
            fingerprint="drop"
            run={(dry) => pgDb.dropTable(projectRef, table.id, dry, connectionId)}
            applyLabel="Drop table"
            danger
            onApplied={done(true)}
            typed={dropTableConfirm(table)}
          />
        </>
      )}
      <div className="buttons">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  )
}

/** Dropping a table: its name typed; the rows lost from the planner's estimate (said to be one). */
export function dropTableConfirm(table: PgTable): TypedDrop {
  const estimate = table.live_rows_estimate
  return {
    title: `Drop table ${table.schema}.${table.name}?`,
    name: table.name,
    what: 'table',
    losses: [
      { label: 'rows', count: estimate !== undefined && estimate >= 0 ? estimate : null, estimate: true },
      { label: 'columns', count: table.columns.length },
    ],
  }
}

/** Dropping a column: its name typed; every row's value in it is lost. */
export function dropColumnConfirm(table: PgTable, columnId: string): TypedDrop | undefined {
  const column = table.columns.find((c) => c.id === columnId)
  if (!column) return undefined
  const estimate = table.live_rows_estimate
  return {
    title: `Drop column ${table.name}.${column.name}?`,
    name: column.name,
    what: 'column',
    losses: [{ label: `values of ${column.name} (one per row)`, count: estimate !== undefined && estimate >= 0 ? estimate : null, estimate: true }],
  }
}
