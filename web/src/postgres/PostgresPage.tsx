// `/project/{ref}/databases/postgres`: SQL work that is never lost. Query tabs (kept in
// localStorage per user and connection), a CodeMirror editor completing from the catalog, Run and
// Cancel (the server cancels the statement), the command tag of what ran, EXPLAIN and EXPLAIN
// ANALYZE, CSV export, a history and the project's snippets, next to the tables and views.
import { QueryClientProvider } from '@tanstack/react-query'
import { useMemo, useRef, useState } from 'react'
import { ApiError, pg, signedInUserId, sqlErrorDetails, type PgRelation, type QueryResult } from '../api'
import { TwoStepConfirm } from '../components/ConfirmAction'
import { ErrorMessage, errorText } from '../components/ErrorMessage'
import { formatCount } from '../format'
import { useLoad } from '../useLoad'
import { PgHeader, usePgContext } from './PgNav'
import { PlanView } from './PlanView'
import { ResultGrid } from './ResultGrid'
import { SqlEditor, type SqlCatalog, type SqlEditorHandle } from './SqlEditor'
import { errorRange, lineAndColumn } from './sql'
import { addHistory, clearHistory, commandTag, historyKey, isSchemaChange, loadHistory, newId, tabsKey, type HistoryEntry } from './sqlwork/drafts'
import { HistoryPanel } from './sqlwork/HistoryPanel'
import { queryClient } from './sqlwork/queryClient'
import { SnippetsPanel } from './sqlwork/SnippetsPanel'
import { useSqlTabs } from './sqlwork/useSqlTabs'
import { useResizableWidth } from './useResizableWidth'

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
  | { kind: 'plan'; plan: unknown; sql: string; analyzed: boolean }
  | { kind: 'error'; error: unknown; sql: string }

function RelationItem({ r, kind, onPick }: { r: PgRelation; kind: 'table' | 'view'; onPick: () => void }) {
  const [open, setOpen] = useState(false)
  return (
    <li data-relation={`${r.schema}.${r.name}`}>
      <div className="relation">
        <button type="button" className="link twisty" aria-expanded={open} aria-label={open ? 'Hide columns' : 'Show columns'} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
        <button type="button" className="link relation-name mono" title={`Open SELECT * FROM ${r.schema}.${r.name} LIMIT 100 in a new tab`} onClick={onPick}>
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
            <li key={c.id} className="column-item" title={`${c.name} ${c.data_type}${c.is_nullable ? '' : ' not null'}`}>
              <span className="mono">{c.name}</span> <span className="muted small column-type">{c.format}{c.is_nullable ? '' : ' not null'}</span>
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

/** The catalog for completion: every schema's tables and views with their columns. */
function catalogOf(relations: PgRelation[]): SqlCatalog {
  const catalog: SqlCatalog = {}
  for (const r of relations) (catalog[r.schema] ??= {})[r.name] = r.columns.map((c) => c.name)
  return catalog
}

function isCanceled(error: unknown): boolean {
  return error instanceof ApiError && (error.details as { code?: unknown } | undefined)?.code === '57014' && /canceled by the user/.test(error.message)
}

export function PostgresPage(props: Props) {
  return (
    <QueryClientProvider client={queryClient}>
      <SqlPage {...props} />
    </QueryClientProvider>
  )
}

function SqlPage({ projectRef, connectionId }: Props) {
  const ctx = usePgContext(projectRef, connectionId)
  const { noConnection } = ctx
  const tables = useLoad(() => (noConnection ? Promise.resolve([]) : pg.tables(projectRef, connectionId)), [projectRef, connectionId, noConnection])
  const views = useLoad(() => (noConnection ? Promise.resolve([]) : pg.views(projectRef, connectionId)), [projectRef, connectionId, noConnection])
  const readOnly = ctx.project.data !== undefined && !ctx.writable
  const sidebar = useResizableWidth('switchboard.pg.sidebar-width', 280)
  const [panel, setPanel] = useState<'schema' | 'snippets' | 'history'>('schema')

  // Drafts belong to the signed-in user and the connection (the primary's id once known).
  const userId = signedInUserId()
  const connectionKey = connectionId ?? ctx.active?.id ?? null
  const tabs = useSqlTabs(connectionKey ? tabsKey(userId ?? 'anonymous', connectionKey) : null)
  const hKey = historyKey(userId ?? 'anonymous', connectionKey ?? 'pending')
  const [history, setHistory] = useState<{ key: string; entries: HistoryEntry[] }>(() => ({ key: hKey, entries: loadHistory(hKey) }))
  const historyEntries = history.key === hKey ? history.entries : loadHistory(hKey)
  const editor = useRef<SqlEditorHandle | null>(null)
  const catalog = useMemo(() => catalogOf([...(tables.data ?? []), ...(views.data ?? [])]), [tables.data, views.data])

  const sql = tabs.active.sql
  const [busy, setBusy] = useState<'run' | 'explain' | 'analyze' | 'csv' | null>(null)
  const [running, setRunning] = useState<string | null>(null)
  const [cancelError, setCancelError] = useState<unknown>(null)
  // Results belong to the tab that ran them.
  const [outcomes, setOutcomes] = useState<Record<string, Outcome>>({})
  const outcome = outcomes[tabs.active.id] ?? null
  const [exportError, setExportError] = useState<unknown>(null)

  // The error mark stays only while the text is the one that failed.
  const failing = outcome?.kind === 'error' && outcome.sql === sql ? outcome : null
  const mark = failing ? errorRange(sql, sqlErrorDetails(failing.error)?.position) : null

  const remember = (entry: HistoryEntry) => setHistory({ key: hKey, entries: addHistory(hKey, entry) })

  const run = async (mode: 'run' | 'analyze' = 'run') => {
    if (busy || !sql.trim()) return
    editor.current?.closeCompletion()
    const text = sql
    const tab = tabs.active.id
    const queryId = newId()
    setBusy(mode)
    setRunning(queryId)
    setCancelError(null)
    const started = performance.now()
    const at = Date.now()
    try {
      if (mode === 'analyze') {
        const plan = await pg.explainAnalyze(projectRef, text, connectionId, queryId)
        setOutcomes((o) => ({ ...o, [tab]: { kind: 'plan', plan, sql: text, analyzed: true } }))
        remember({ sql: text, at, ms: Math.round(performance.now() - started), outcome: 'ok', summary: 'EXPLAIN ANALYZE' })
      } else {
        const result = await pg.query(projectRef, text, connectionId, queryId)
        const ms = Math.round(performance.now() - started)
        setOutcomes((o) => ({ ...o, [tab]: { kind: 'rows', result, ms, sql: text } }))
        remember({ sql: text, at, ms, outcome: 'ok', summary: commandTag(result.command, result.rowsAffected, result.rows.length) })
        if (isSchemaChange(result.command)) {
          tables.reload()
          views.reload()
        }
      }
    } catch (e) {
      setOutcomes((o) => ({ ...o, [tab]: { kind: 'error', error: e, sql: text } }))
      remember({ sql: text, at, ms: Math.round(performance.now() - started), outcome: isCanceled(e) ? 'canceled' : 'error', summary: errorText(e) })
    } finally {
      setBusy(null)
      setRunning(null)
    }
  }

  const cancel = async () => {
    if (!running) return
    try {
      await pg.cancel(projectRef, running)
    } catch (e) {
      setCancelError(e)
    }
  }

  const explain = async () => {
    if (busy || !sql.trim()) return
    const text = sql
    const tab = tabs.active.id
    setBusy('explain')
    try {
      const plan = await pg.explain(projectRef, text, connectionId)
      setOutcomes((o) => ({ ...o, [tab]: { kind: 'plan', plan, sql: text, analyzed: false } }))
    } catch (e) {
      setOutcomes((o) => ({ ...o, [tab]: { kind: 'error', error: e, sql: text } }))
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

  // A table opens in a new tab: the text of the tabs is never overwritten.
  const pick = (r: PgRelation) => tabs.open(`SELECT * FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)} LIMIT 100;`, r.name)

  const [renaming, setRenaming] = useState<string | null>(null)

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
        <div className="pg-layout resizable" style={{ gridTemplateColumns: `${sidebar.width}px 6px minmax(0, 1fr)` }}>
          <aside className="relations" aria-label="Tables and views">
            <div className="tabs small panel-tabs" role="tablist" aria-label="Sidebar">
              {(
                [
                  ['schema', 'Tables'],
                  ['snippets', 'Snippets'],
                  ['history', 'History'],
                ] as const
              ).map(([p, label]) => (
                <button key={p} type="button" role="tab" aria-selected={panel === p} className={`link tab${panel === p ? ' current' : ''}`} onClick={() => setPanel(p)}>
                  {label}
                </button>
              ))}
            </div>
            {panel === 'schema' && (
              <>
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
              </>
            )}
            {panel === 'snippets' && (
              <SnippetsPanel
                projectRef={projectRef}
                userId={userId}
                writable={ctx.writable}
                current={{ title: tabs.active.title, sql }}
                onOpen={(s) => tabs.open(s.content, s.name)}
              />
            )}
            {panel === 'history' && (
              <HistoryPanel
                entries={historyEntries}
                onOpen={(text) => tabs.open(text)}
                onClear={() => {
                  clearHistory(hKey)
                  setHistory({ key: hKey, entries: [] })
                }}
              />
            )}
          </aside>
          <div className="resize-handle" role="separator" aria-orientation="vertical" aria-label="Resize the sidebar" onPointerDown={sidebar.onPointerDown} />
          {connectionKey === null ? (
            <p className="muted">Loading…</p>
          ) : (
            <div className="pg-main">
              <div className="sql-tabs" role="tablist" aria-label="Query tabs">
                {tabs.tabs.map((t) => (
                  <span key={t.id} className={`sql-tab${t.id === tabs.active.id ? ' current' : ''}`} data-tab={t.title}>
                    {renaming === t.id ? (
                      <input
                        aria-label="Tab name"
                        defaultValue={t.title}
                        autoFocus
                        onBlur={(e) => {
                          tabs.rename(t.id, e.target.value)
                          setRenaming(null)
                        }}
                        onKeyDown={(e) => {
                          if (e.key === 'Enter') e.currentTarget.blur()
                          if (e.key === 'Escape') setRenaming(null)
                        }}
                      />
                    ) : (
                      <button type="button" role="tab" aria-selected={t.id === tabs.active.id} className="link" onClick={() => tabs.select(t.id)} onDoubleClick={() => setRenaming(t.id)} title="Double-click to rename">
                        {t.title}
                      </button>
                    )}
                    <button
                      type="button"
                      className="link small close-tab"
                      aria-label={`Close ${t.title}`}
                      title={t.sql.trim() ? 'Close this tab (its text is in the history if it ran)' : 'Close this tab'}
                      onClick={() => {
                        editor.current?.forget(t.id)
                        tabs.close(t.id)
                      }}
                    >
                      ×
                    </button>
                  </span>
                ))}
                <button type="button" className="link new-tab" aria-label="New tab" onClick={() => tabs.open()}>
                  +
                </button>
                <button type="button" className="link small" onClick={() => setRenaming(tabs.active.id)}>
                  Rename
                </button>
              </div>
              <SqlEditor
                ref={editor}
                tabId={tabs.active.id}
                initial={tabs.active.sql}
                onChange={tabs.setSql}
                onRun={() => void run()}
                catalog={catalog}
                error={mark}
              />
              <div className="toolbar run-bar">
                <button type="button" className="primary" onClick={() => void run()} disabled={busy !== null} title="Ctrl+Enter / ⌘+Enter">
                  {busy === 'run' ? 'Running…' : 'Run'}
                </button>
                {/* Beside Run, not in its place: a double-click on Run does not cancel what it started. */}
                {(busy === 'run' || busy === 'analyze') && (
                  <button type="button" className="danger-outline" onClick={() => void cancel()} title="Ask PostgreSQL to cancel the running statement">
                    Cancel query
                  </button>
                )}
                <button type="button" onClick={() => void explain()} disabled={busy !== null}>
                  {busy === 'explain' ? 'Explaining…' : 'Explain'}
                </button>
                {ctx.writable && (
                  <TwoStepConfirm
                    confirmLabel="Run EXPLAIN ANALYZE"
                    onConfirm={() => run('analyze')}
                    trigger={(ask) => (
                      <button type="button" onClick={ask} disabled={busy !== null} title="EXPLAIN ANALYZE executes the statement: a write is really made">
                        Explain analyze
                      </button>
                    )}
                  />
                )}
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
              {ctx.writable && <p className="muted small analyze-note">Explain analyze executes the statement (a write is made and audited); Explain only plans it.</p>}
              <ErrorMessage error={cancelError} onDismiss={() => setCancelError(null)} />
              <ErrorMessage error={exportError} onDismiss={() => setExportError(null)} />
              {outcome?.kind === 'error' && (isCanceled(outcome.error) ? <p className="notice" role="status">The query was canceled.</p> : <SqlError error={outcome.error} sql={outcome.sql} />)}
              {outcome?.kind === 'plan' && <PlanView plan={outcome.plan} />}
              {outcome?.kind === 'rows' && (
                <div className="results">
                  <p className="muted small result-status">
                    <strong className="command-tag" data-command-tag>
                      {commandTag(outcome.result.command, outcome.result.rowsAffected, outcome.result.rows.length)}
                    </strong>
                    {' · '}
                    {formatCount(outcome.result.rows.length)} {outcome.result.rows.length === 1 ? 'row' : 'rows'} returned · {outcome.ms} ms
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
                    <p className="empty">The statement ran: {commandTag(outcome.result.command, outcome.result.rowsAffected, 0)}.</p>
                  )}
                </div>
              )}
              {outcome === null && <p className="empty">Write SQL and press Run (Ctrl/⌘ + Enter), or pick a table on the left: it opens in a new tab.</p>}
            </div>
          )}
        </div>
      )}
    </section>
  )
}
