// `/project/{ref}/databases/postgres/database?section=…`: the database's objects. Indexes (unused
// ones marked) and extensions have actions (admins), each previewed as its dry-run SQL; roles,
// policies, triggers, functions and enums are read-only listings.
import { useState } from 'react'
import { pgDb, type NewIndex, type PgExtension, type PgIndex, type PgObject } from '../../api'
import { ErrorMessage } from '../../components/ErrorMessage'
import { ADMIN_ONLY_REASON, WriteButton } from '../../components/WriteButton'
import { formatCount } from '../../format'
import { Link, useLocation } from '../../router'
import { useLoad } from '../../useLoad'
import { DryRunApply } from '../DryRun'
import { Modal } from '../editor/RowDialogs'
import { PgHeader, pgHref, usePgContext } from '../PgNav'
import { enumsOf, fieldsOf, fieldText, formatBytes, PREFERRED_FIELDS, SECTION_NAMES, SECTIONS, type Section } from './objects'

interface Props {
  projectRef: string
  connectionId?: string
}

export function DatabasePage({ projectRef, connectionId }: Props) {
  const { query } = useLocation()
  const ctx = usePgContext(projectRef, connectionId)
  const asked = query.get('section') as Section | null
  const section: Section = asked && SECTIONS.includes(asked) ? asked : 'indexes'
  return (
    <section className="postgres database-page">
      <PgHeader projectRef={projectRef} connectionId={connectionId} tab="database" ctx={ctx} />
      <nav className="tabs" aria-label="Database objects">
        {SECTIONS.map((s) => (
          <Link key={s} href={pgHref(projectRef, 'database', connectionId, [['section', s]])} className={s === section ? 'tab current' : 'tab'} aria-current={s === section ? 'page' : undefined}>
            {SECTION_NAMES[s]}
          </Link>
        ))}
      </nav>
      {ctx.noConnection ? (
        <p className="empty">This project has no PostgreSQL connection yet.</p>
      ) : section === 'indexes' ? (
        <Indexes projectRef={projectRef} connectionId={connectionId} admin={ctx.admin} />
      ) : section === 'extensions' ? (
        <Extensions projectRef={projectRef} connectionId={connectionId} admin={ctx.admin} />
      ) : (
        <Listing key={section} projectRef={projectRef} connectionId={connectionId} section={section} />
      )}
    </section>
  )
}

function ObjectTable({ items, fields }: { items: PgObject[]; fields: string[] }) {
  return (
    <table className="grid compact">
      <thead>
        <tr>
          {fields.map((f) => (
            <th key={f}>{f.replaceAll('_', ' ')}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map((item, i) => (
          <tr key={String(item.id ?? i)} data-object={String(item.name ?? i)}>
            {fields.map((f) => (
              <td key={f} className="mono">
                {fieldText(item[f])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Listing({ projectRef, connectionId, section }: Props & { section: Section }) {
  const what = section === 'enums' ? 'types' : section
  const list = useLoad(() => pgDb.list(projectRef, what, connectionId), [projectRef, connectionId, what])
  const [search, setSearch] = useState('')
  const all = section === 'enums' ? enumsOf(list.data ?? []) : (list.data ?? [])
  const items = search ? all.filter((i) => JSON.stringify(i).toLowerCase().includes(search.toLowerCase())) : all
  return (
    <div>
      <div className="toolbar">
        <input type="search" aria-label={`Search ${SECTION_NAMES[section]}`} placeholder="Search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="muted small">{list.data ? `${formatCount(items.length)} of ${formatCount(all.length)}` : ''}</span>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data && <p className="muted">Loading…</p>}
      {list.data && all.length === 0 && <p className="empty">None.</p>}
      {items.length > 0 && <ObjectTable items={items} fields={fieldsOf(items, PREFERRED_FIELDS[what])} />}
    </div>
  )
}

function Indexes({ projectRef, connectionId, admin }: Props & { admin: boolean }) {
  const list = useLoad(() => pgDb.indexes(projectRef, connectionId), [projectRef, connectionId])
  const tables = useLoad(() => pgDb.tables(projectRef, connectionId), [projectRef, connectionId])
  const [creating, setCreating] = useState(false)
  const [dropping, setDropping] = useState<PgIndex | null>(null)
  const [onlyUnused, setOnlyUnused] = useState(false)
  const items = (list.data ?? []).filter((i) => !onlyUnused || i.unused)
  return (
    <div>
      <div className="toolbar">
        <WriteButton allowed={admin} reason={ADMIN_ONLY_REASON} onClick={() => setCreating(true)}>
          Create index
        </WriteButton>
        <label className="inline small">
          <input type="checkbox" checked={onlyUnused} onChange={(e) => setOnlyUnused(e.target.checked)} />
          only unused
        </label>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data && <p className="muted">Loading…</p>}
      {list.data && list.data.length === 0 && <p className="empty">No indexes.</p>}
      {items.length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Name</th>
              <th>Table</th>
              <th>Definition</th>
              <th className="num">Size</th>
              <th className="num">Scans</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} data-index={i.name} className={i.unused ? 'unused' : undefined}>
                <td className="mono" title={i.unused ? 'Never scanned since the statistics were reset: a candidate to drop' : undefined}>
                  {i.name}
                </td>
                <td className="mono">{i.schema && i.schema !== 'public' ? `${i.schema}.${i.table}` : i.table}</td>
                <td className="mono small">{i.definition}</td>
                <td className="num">{formatBytes(i.size_bytes)}</td>
                <td className="num">{formatCount(i.scans)}</td>
                <td>
                  <WriteButton allowed={admin} reason={ADMIN_ONLY_REASON} className="danger-outline small" onClick={() => setDropping(i)}>
                    Drop
                  </WriteButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <CreateIndexDialog
          projectRef={projectRef}
          connectionId={connectionId}
          tables={tables.data ?? []}
          onClose={() => setCreating(false)}
          onDone={() => {
            setCreating(false)
            list.reload()
          }}
        />
      )}
      {dropping && (
        <Modal title={`Drop index ${dropping.name}?`} onClose={() => setDropping(null)}>
          <p className="mono small">{dropping.definition}</p>
          <DryRunApply
            fingerprint={String(dropping.id)}
            run={(dry) => pgDb.dropIndex(projectRef, dropping.id, dry, connectionId)}
            applyLabel="Drop index"
            danger
            typed={{
              title: `Drop index ${dropping.name}?`,
              name: dropping.name,
              what: 'index',
              losses: [{ label: `bytes of index on ${dropping.table} (queries using it get slower)`, count: dropping.size_bytes }],
            }}
            onApplied={() => {
              setDropping(null)
              list.reload()
            }}
          />
          <div className="buttons">
            <button type="button" onClick={() => setDropping(null)}>
              Close
            </button>
          </div>
        </Modal>
      )}
    </div>
  )
}

function CreateIndexDialog({
  projectRef,
  connectionId,
  tables,
  onClose,
  onDone,
}: Props & { tables: { id: number; schema: string; name: string; columns: { name: string }[] }[]; onClose: () => void; onDone: () => void }) {
  const [tableKey, setTableKey] = useState('')
  const [columns, setColumns] = useState<string[]>([])
  const [unique, setUnique] = useState(false)
  const [name, setName] = useState('')
  const [method, setMethod] = useState<NonNullable<NewIndex['method']>>('btree')
  const table = tables.find((t) => `${t.schema}.${t.name}` === tableKey)
  const body: NewIndex = { table_id: table?.id ?? 0, columns: columns.map((c) => ({ name: c })), unique: unique || undefined, name: name.trim() || undefined, method }
  return (
    <Modal title="Create index" onClose={onClose} wide>
      <label>
        Table
        <select aria-label="Index table" value={tableKey} onChange={(e) => (setTableKey(e.target.value), setColumns([]))}>
          <option value="">choose…</option>
          {tables.map((t) => (
            <option key={t.id} value={`${t.schema}.${t.name}`}>
              {t.schema}.{t.name}
            </option>
          ))}
        </select>
      </label>
      {table && (
        <fieldset className="column-chooser">
          <legend className="small muted">Columns, in the order ticked</legend>
          {table.columns.map((c) => (
            <label key={c.name} className="inline small">
              <input
                type="checkbox"
                aria-label={`Index column ${c.name}`}
                checked={columns.includes(c.name)}
                onChange={(e) => setColumns(e.target.checked ? [...columns, c.name] : columns.filter((x) => x !== c.name))}
              />
              <span className="mono">{c.name}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div className="toolbar">
        <label>
          Name (optional)
          <input aria-label="Index name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Method
          <select aria-label="Index method" value={method} onChange={(e) => setMethod(e.target.value as NonNullable<NewIndex['method']>)}>
            {(['btree', 'hash', 'gin', 'gist', 'spgist', 'brin'] as const).map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={unique} onChange={(e) => setUnique(e.target.checked)} />
          unique
        </label>
      </div>
      <DryRunApply
        fingerprint={JSON.stringify(body)}
        invalid={!table ? 'Pick a table.' : columns.length === 0 ? 'Tick at least one column.' : null}
        run={(dry) => pgDb.createIndex(projectRef, body, dry, connectionId)}
        applyLabel="Create index"
        onApplied={onDone}
      />
      <div className="buttons">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  )
}

function Extensions({ projectRef, connectionId, admin }: Props & { admin: boolean }) {
  const list = useLoad(() => pgDb.extensions(projectRef, connectionId), [projectRef, connectionId])
  const [search, setSearch] = useState('')
  const [changing, setChanging] = useState<PgExtension | null>(null)
  const items = (list.data ?? [])
    .filter((e) => e.name.includes(search.trim().toLowerCase()) || (e.comment ?? '').toLowerCase().includes(search.trim().toLowerCase()))
    .sort((a, b) => Number(b.installed_version !== null) - Number(a.installed_version !== null) || a.name.localeCompare(b.name))
  const enabling = changing !== null && changing.installed_version === null
  return (
    <div>
      <div className="toolbar">
        <input type="search" aria-label="Search extensions" placeholder="Search extensions" value={search} onChange={(e) => setSearch(e.target.value)} />
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data && <p className="muted">Loading…</p>}
      {items.length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Name</th>
              <th>Installed</th>
              <th>Available</th>
              <th>Description</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.name} data-extension={e.name}>
                <td className="mono">{e.name}</td>
                <td>{e.installed_version ?? <span className="muted">—</span>}</td>
                <td className="muted">{e.default_version ?? ''}</td>
                <td className="small">{e.comment ?? ''}</td>
                <td>
                  <WriteButton allowed={admin} reason={ADMIN_ONLY_REASON} className={e.installed_version ? 'danger-outline small' : 'small'} onClick={() => setChanging(e)}>
                    {e.installed_version ? 'Disable' : 'Enable'}
                  </WriteButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {changing && (
        <Modal title={`${enabling ? 'Enable' : 'Disable'} ${changing.name}?`} onClose={() => setChanging(null)}>
          {!enabling && <p>Objects that depend on the extension stop working, or block its removal.</p>}
          <DryRunApply
            fingerprint={changing.name}
            run={(dry) => (enabling ? pgDb.enableExtension(projectRef, changing.name, dry, connectionId) : pgDb.disableExtension(projectRef, changing.name, dry, connectionId))}
            applyLabel={enabling ? 'Enable' : 'Disable'}
            danger={!enabling}
            onApplied={() => {
              setChanging(null)
              list.reload()
            }}
          />
          <div className="buttons">
            <button type="button" onClick={() => setChanging(null)}>
              Close
            </button>
          </div>
        </Modal>
      )}
    </div>
  )
}
