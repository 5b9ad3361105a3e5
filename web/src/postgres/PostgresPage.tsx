// `/project/{ref}/databases/postgres`: a SQL editor with results, EXPLAIN and CSV export, next to
// the tables and views of the database.
import { useState } from 'react'
import { ApiError, pg, sqlErrorDetails, type PgRelation, type QueryResult } from '../api'
import { ErrorMessage, errorText } from '../components/ErrorMessage'
import { formatCount } from '../format'
import { useLoad } from '../useLoad'
import { PgHeader, usePgContext } from './PgNav'
import { PlanView } from './PlanView'
import { ResultGrid } from './ResultGrid'
import { SqlEditor } from './SqlEditor'
import { errorRange, lineAndColumn } from './sql'

interface Props {
  projectRef: string
  connectionId?: string
}

/** An identifier as SQL: bare when it is a plain lower-case name, double-quoted otherwise. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`
}

type Outcome =
  | { kind: 'rows'; result: QueryResult; ms: number; sql: string }
  | { kind: 'plan'; plan: unknown; sql: string }
  | { kind: 'error'; error: unknown; sql: string }

function RelationItem({ r, kind, onPick }: { r: PgRelation; kind: 'table' | 'view'; onPick: () => void }) {
  const [open, setOpen] = useState(false)
  return (
    <li data-relation={`${r.schema}.${r.name}`}>
      <div className="relation">
        <button type="button" className="link twisty" aria-expanded={open} aria-label={open ? 'Hide columns' : 'Show columns'} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
        <button type="button" className="link relation-name mono" title={`SELECT * FROM ${r.schema}.${r.name} LIMIT 100`} onClick={onPick}>
          {r.schema === 'public' ? r.name : `${r.schema}.${r.name}`}
        </button>
        {kind === 'table' && r.live_rows_estimate !== undefined && r.live_rows_estimate >= 0 && (
          <span className="muted small" title="Estimated rows">
            ~{formatCount(r.live_rows_estimate)}
          </span>
        )}
      </div>
      {open && (
        <ul className="columns">
          {r.columns.map((c) => (
            <li key={c.id}>
              <span className="mono">{c.name}</span> <span className="muted small">{c.format}{c.is_nullable ? '' : ' not null'}</span>
            </li>
          ))}
          {r.columns.length === 0 && <li className="muted small">No columns</li>}
        </ul>
      )}
    </li>
  )
}

function SqlError({ error, sql }: { error: unknown; sql: string }) {
  const details = sqlErrorDetails(error)
  const range = errorRange(sql, details?.position)
  const where = range ? lineAndColumn(sql, range.start) : null
  return (
    <div className="error sql-error-box" role="alert">
      <div>
        <strong>{error instanceof ApiError && error.code === 'QUERY_ERROR' ? 'PostgreSQL: ' : ''}</strong>
        <span className="sql-error-message">{errorText(error)}</span>
        {details?.code && <span className="badge sqlstate">SQLSTATE {details.code}</span>}
        {where && (
          <span className="muted">
            {' '}
            at line {where.line}, column {where.column}
          </span>
        )}
        {details?.detail && <div>Detail: {details.detail}</div>}
        {details?.hint && <div>Hint: {details.hint}</div>}
      </div>
    </div>
  )
}

export function PostgresPage({ projectRef, connectionId }: Props) {
  const ctx = usePgContext(projectRef, connectionId)
  const { noConnection } = ctx
  const tables = useLoad(() => (noConnection ? Promise.resolve([]) : pg.tables(projectRef, connectionId)), [projectRef, connectionId, noConnection])
  const views = useLoad(() => (noConnection ? Promise.resolve([]) : pg.views(projectRef, connectionId)), [projectRef, connectionId, noConnection])
  const readOnly = ctx.project.data !== undefined && !ctx.writable

  const [sql, setSql] = useState('SELECT 1;')
  const [busy, setBusy] = useState<'run' | 'explain' | 'csv' | null>(null)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [exportError, setExportError] = useState<unknown>(null)

  // The error mark stays only while the text is the one that failed.
  const failing = outcome?.kind === 'error' && outcome.sql === sql ? outcome : null
  const mark = failing ? errorRange(sql, sqlErrorDetails(failing.error)?.position) : null

  const run = async () => {
    if (busy || !sql.trim()) return
    const text = sql
    setBusy('run')
    const started = performance.now()
    try {
      const result = await pg.query(projectRef, text, connectionId)
      setOutcome({ kind: 'rows', result, ms: Math.round(performance.now() - started), sql: text })
    } catch (e) {
      setOutcome({ kind: 'error', error: e, sql: text })
    } finally {
      setBusy(null)
    }
  }

  const explain = async () => {
    if (busy || !sql.trim()) return
    const text = sql
    setBusy('explain')
    try {
      setOutcome({ kind: 'plan', plan: await pg.explain(projectRef, text, connectionId), sql: text })
    } catch (e) {
      setOutcome({ kind: 'error', error: e, sql: text })
    } finally {
      setBusy(null)
    }
  }

  const downloadCsv = async () => {
    if (busy || !sql.trim()) return
    setBusy('csv')
    setExportError(null)
    try {
      const blob = await pg.exportCsv(projectRef, sql, connectionId)
      const url = URL.createObjectURL(blob)
      const a = document.createElement('a')
      a.href = url
      a.download = 'query.csv'
      document.body.appendChild(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (e) {
      setExportError(e)
    } finally {
      setBusy(null)
    }
  }

  const pick = (r: PgRelation) => setSql(`SELECT * FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)} LIMIT 100;`)

  return (
    <section className="postgres">
      <PgHeader projectRef={projectRef} connectionId={connectionId} tab="sql" ctx={ctx} />
      {noConnection ? (
        <div className="empty">
          <p>This project has no PostgreSQL connection yet.</p>
          <p className="muted">
            An admin adds one with <code>POST /api/platform/postgres/{projectRef}/connections</code>.
          </p>
        </div>
      ) : (
        <div className="pg-layout">
          <aside className="relations" aria-label="Tables and views">
            <h2>Tables</h2>
            <ErrorMessage error={tables.error} />
            {tables.loading && !tables.data && <p className="muted small">Loading…</p>}
            {tables.data && tables.data.length === 0 && <p className="muted small">No tables yet.</p>}
            <ul>
              {(tables.data ?? []).map((r) => (
                <RelationItem key={r.id} r={r} kind="table" onPick={() => pick(r)} />
              ))}
            </ul>
            <h2>Views</h2>
            <ErrorMessage error={views.error} />
            {views.data && views.data.length === 0 && <p className="muted small">No views.</p>}
            <ul>
              {(views.data ?? []).map((r) => (
                <RelationItem key={r.id} r={r} kind="view" onPick={() => pick(r)} />
              ))}
            </ul>
            <button
              type="button"
              className="link small"
              onClick={() => {
                tables.reload()
                views.reload()
              }}
            >
              Refresh
            </button>
          </aside>
          <div className="pg-main">
            <SqlEditor value={sql} onChange={setSql} onRun={() => void run()} error={mark} />
            <div className="toolbar run-bar">
              <button type="button" className="primary" onClick={() => void run()} disabled={busy !== null} title="Ctrl+Enter / ⌘+Enter">
                {busy === 'run' ? 'Running…' : 'Run'}
              </button>
              <button type="button" onClick={() => void explain()} disabled={busy !== null}>
                {busy === 'explain' ? 'Explaining…' : 'Explain'}
              </button>
              <button type="button" onClick={() => void downloadCsv()} disabled={busy !== null} title="The whole result, streamed, without the row cap">
                {busy === 'csv' ? 'Downloading…' : 'Download CSV'}
              </button>
              <span className="muted small">Ctrl/⌘ + Enter runs</span>
              {readOnly && (
                <span className="read-only-note small" title="Your role on this project is viewer">
                  Your SQL runs read-only: as a viewer you can query but not change data.
                </span>
              )}
            </div>
            <ErrorMessage error={exportError} onDismiss={() => setExportError(null)} />
            {outcome?.kind === 'error' && <SqlError error={outcome.error} sql={outcome.sql} />}
            {outcome?.kind === 'plan' && <PlanView plan={outcome.plan} />}
            {outcome?.kind === 'rows' && (
              <div className="results">
                <p className="muted small result-status">
                  {formatCount(outcome.result.rows.length)} {outcome.result.rows.length === 1 ? 'row' : 'rows'} · {outcome.ms} ms
                </p>
                {outcome.result.truncated && (
                  <p className="notice">
                    Only the first {formatCount(outcome.result.rowCap ?? outcome.result.rows.length)} rows are shown. Use "Download
                    CSV" for the whole result, or add a LIMIT.
                  </p>
                )}
                {outcome.result.rows.length > 0 ? (
                  <ResultGrid rows={outcome.result.rows} />
                ) : (
                  <p className="empty">The statement ran and returned no rows.</p>
                )}
              </div>
            )}
            {outcome === null && <p className="empty">Write SQL and press Run (Ctrl/⌘ + Enter), or pick a table on the left.</p>}
          </div>
        </div>
      )}
    </section>
  )
}
