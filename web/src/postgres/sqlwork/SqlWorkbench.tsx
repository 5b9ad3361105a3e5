// The SQL page of any SQL engine: query tabs (kept in localStorage per user and connection), a
// CodeMirror editor completing from the catalog, Run (and, where the engine has them, Cancel,
// Explain, Explain analyze and CSV export), the command tag of what ran, a failed statement's error
// marked where the server says, the result grid, a history and the project's snippets, next to the
// tables and views. What differs between engines comes in through `SqlEngine`.
import type { SQLDialect } from '@codemirror/lang-sql'
import { useMemo, useRef, useState, type ReactNode } from 'react'
import { ApiError, signedInUserId, type QueryResult, type SnippetEngine } from '../../api'
import { TwoStepConfirm } from '../../components/ConfirmAction'
import { ErrorMessage, errorText } from '../../components/ErrorMessage'
import { formatCount } from '../../format'
import type { Loaded } from '../../useLoad'
import { PlanView } from '../PlanView'
import { ResultGrid } from '../ResultGrid'
import { SqlEditor, type SqlCatalog, type SqlEditorHandle } from '../SqlEditor'
import { errorRange, lineAndColumn } from '../sql'
import { useResizableWidth } from '../useResizableWidth'
import { addHistory, clearHistory, commandTag, historyKey, isSchemaChange, loadHistory, newId, tabsKey, type HistoryEntry } from './drafts'
import { HistoryPanel } from './HistoryPanel'
import { SnippetsPanel } from './SnippetsPanel'
import { useSqlTabs } from './useSqlTabs'

/** A column of a table or view in the sidebar. */
export interface SidebarColumn {
  name: string
  /** The short type shown (`int4`, `varchar`). */
  type: string
  /** The whole type, for the tooltip (`character varying(20)`). */
  fullType: string
  nullable: boolean
}

/** A table or view in the sidebar. */
export interface SidebarRelation {
  /** Its schema (a MySQL database) and name, for completion and `data-relation`. */
  schema: string
  name: string
  /** How the list names it. */
  label: string
  /** Tables: the server's estimate of their rows, when it has one. */
  rowsEstimate?: number
  columns: SidebarColumn[]
  /** The statement a click opens in a new tab. */
  select: string
}

/** What the server said about a failed statement, as the page shows it. */
export interface SqlErrorInfo {
  /** 1-based position in the statement's text, in characters. */
  position: number | null
  /** Codes shown beside the message (`SQLSTATE 42601`). */
  badges: string[]
  detail?: string | null
  hint?: string | null
}

/** What the SQL page needs from its engine. Optional actions are left out of the page when absent. */
export interface SqlEngine {
  /** Display name ("PostgreSQL"), before the message of a statement's error. */
  label: string
  /** Whose snippets the page lists and saves. */
  snippets: SnippetEngine
  /** Highlighting and completion; unqualified names complete from `defaultSchema`. */
  dialect: SQLDialect
  defaultSchema?: string
  /** Where the sidebar's width is kept. */
  widthKey: string
  run: (sql: string, queryId: string) => Promise<QueryResult>
  /** Stops the statement sent with `queryId`; `isCanceled` knows its error. */
  cancel?: (queryId: string) => Promise<unknown>
  isCanceled?: (error: unknown) => boolean
  /** The statement's plan, without running it. */
  explain?: (sql: string) => Promise<unknown>
  /** The plan with real timings: it runs the statement (offered to writers only). */
  explainAnalyze?: (sql: string, queryId: string) => Promise<unknown>
  /** The whole result as CSV, without the row cap. */
  exportCsv?: (sql: string) => Promise<Blob>
  /** The details of a statement's error (`QUERY_ERROR`), when the server gave them. */
  errorInfo: (error: unknown) => SqlErrorInfo | null
}

export interface SqlWorkbenchProps {
  projectRef: string
  engine: SqlEngine
  /** The page's crumbs, title, connection picker and tabs. */
  header: ReactNode
  /** Shown instead of the page when the project has no connection of the engine. */
  noConnection: ReactNode | null
  /** The connection's id once known (the primary's when none is asked for); drafts are kept by it. */
  connectionKey: string | null
  /** May change data; false for a viewer, whose SQL runs read-only. */
  writable: boolean
  /** The role is known and it is a viewer's. */
  readOnly: boolean
  tables: Loaded<SidebarRelation[]>
  views: Loaded<SidebarRelation[]>
  /** Above the table list in the sidebar (a database picker). */
  sidebarTop?: ReactNode
  /** The section's class names (the engine's). */
  className: string
}

type Outcome =
  | { kind: 'rows'; result: QueryResult; ms: number; sql: string }
  | { kind: 'plan'; plan: unknown; sql: string; analyzed: boolean }
  | { kind: 'error'; error: unknown; sql: string }

function RelationItem({ r, kind, onPick }: { r: SidebarRelation; kind: 'table' | 'view'; onPick: () => void }) {
  const [open, setOpen] = useState(false)
  return (
    <li data-relation={`${r.schema}.${r.name}`}>
      <div className="relation">
        <button type="button" className="link twisty" aria-expanded={open} aria-label={open ? 'Hide columns' : 'Show columns'} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
        <button type="button" className="link relation-name mono" title={`Open ${r.select} in a new tab`} onClick={onPick}>
          {r.label}
        </button>
        {kind === 'table' && r.rowsEstimate !== undefined && r.rowsEstimate >= 0 && (
          <span className="muted small" title="Estimated rows">
            ~{formatCount(r.rowsEstimate)}
          </span>
        )}
      </div>
      {open && (
        <ul className="columns">
          {r.columns.map((c) => (
            <li key={c.name} className="column-item" title={`${c.name} ${c.fullType}${c.nullable ? '' : ' not null'}`}>
              <span className="mono">{c.name}</span> <span className="muted small column-type">{c.type}{c.nullable ? '' : ' not null'}</span>
            </li>
          ))}
          {r.columns.length === 0 && <li className="muted small">No columns</li>}
        </ul>
      )}
    </li>
  )
}

/** A statement's error: the message, its codes, and where in the text it is. */
export function SqlError({ error, sql, engine }: { error: unknown; sql: string; engine: SqlEngine }) {
  const info = engine.errorInfo(error)
  const range = errorRange(sql, info?.position)
  const where = range ? lineAndColumn(sql, range.start) : null
  return (
    <div className="error sql-error-box" role="alert">
      <div>
        <strong>{error instanceof ApiError && error.code === 'QUERY_ERROR' ? `${engine.label}: ` : ''}</strong>
        <span className="sql-error-message">{errorText(error)}</span>
        {info?.badges.map((b) => (
          <span key={b} className="badge sqlstate">
            {b}
          </span>
        ))}
        {where && (
          <span className="muted">
            {' '}
            at line {where.line}, column {where.column}
          </span>
        )}
        {info?.detail && <div>Detail: {info.detail}</div>}
        {info?.hint && <div>Hint: {info.hint}</div>}
      </div>
    </div>
  )
}

/** The catalog for completion: every schema's tables and views with their columns. */
function catalogOf(relations: SidebarRelation[]): SqlCatalog {
  const catalog: SqlCatalog = {}
  for (const r of relations) (catalog[r.schema] ??= {})[r.name] = r.columns.map((c) => c.name)
  return catalog
}

/** The SQL page; wrap it in the SQL work's `QueryClientProvider` (snippets). */
export function SqlWorkbench({ projectRef, engine, header, noConnection, connectionKey, writable, readOnly, tables, views, sidebarTop, className }: SqlWorkbenchProps) {
  const sidebar = useResizableWidth(engine.widthKey, 280)
  const [panel, setPanel] = useState<'schema' | 'snippets' | 'history'>('schema')
  const isCanceled = (e: unknown) => engine.isCanceled?.(e) ?? false

  // Drafts belong to the signed-in user and the connection (the primary's id once known).
  const userId = signedInUserId()
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
  const mark = failing ? errorRange(sql, engine.errorInfo(failing.error)?.position) : null

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
      if (mode === 'analyze' && engine.explainAnalyze) {
        const plan = await engine.explainAnalyze(text, queryId)
        setOutcomes((o) => ({ ...o, [tab]: { kind: 'plan', plan, sql: text, analyzed: true } }))
        remember({ sql: text, at, ms: Math.round(performance.now() - started), outcome: 'ok', summary: 'EXPLAIN ANALYZE' })
      } else {
        const result = await engine.run(text, queryId)
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
    if (!running || !engine.cancel) return
    try {
      await engine.cancel(running)
    } catch (e) {
      setCancelError(e)
    }
  }

  const explain = async () => {
    if (busy || !sql.trim() || !engine.explain) return
    const text = sql
    const tab = tabs.active.id
    setBusy('explain')
    try {
      const plan = await engine.explain(text)
      setOutcomes((o) => ({ ...o, [tab]: { kind: 'plan', plan, sql: text, analyzed: false } }))
    } catch (e) {
      setOutcomes((o) => ({ ...o, [tab]: { kind: 'error', error: e, sql: text } }))
    } finally {
      setBusy(null)
    }
  }

  const downloadCsv = async () => {
    if (busy || !sql.trim() || !engine.exportCsv) return
    setBusy('csv')
    setExportError(null)
    try {
      const blob = await engine.exportCsv(sql)
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
  const pick = (r: SidebarRelation) => tabs.open(r.select, r.name)

  const [renaming, setRenaming] = useState<string | null>(null)

  return (
    <section className={className}>
      {header}
      {noConnection ?? (
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
                {sidebarTop}
                <h2>Tables</h2>
                <ErrorMessage error={tables.error} />
                {tables.loading && !tables.data && <p className="muted small">Loading…</p>}
                {tables.data && tables.data.length === 0 && <p className="muted small">No tables yet.</p>}
                <ul>
                  {(tables.data ?? []).map((r) => (
                    <RelationItem key={`${r.schema}.${r.name}`} r={r} kind="table" onPick={() => pick(r)} />
                  ))}
                </ul>
                <h2>Views</h2>
                <ErrorMessage error={views.error} />
                {views.data && views.data.length === 0 && <p className="muted small">No views.</p>}
                <ul>
                  {(views.data ?? []).map((r) => (
                    <RelationItem key={`${r.schema}.${r.name}`} r={r} kind="view" onPick={() => pick(r)} />
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
                engine={engine.snippets}
                userId={userId}
                writable={writable}
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
                dialect={engine.dialect}
                defaultSchema={engine.defaultSchema}
              />
              <div className="toolbar run-bar">
                <button type="button" className="primary" onClick={() => void run()} disabled={busy !== null} title="Ctrl+Enter / ⌘+Enter">
                  {busy === 'run' ? 'Running…' : 'Run'}
                </button>
                {/* Beside Run, not in its place: a double-click on Run does not cancel what it started. */}
                {engine.cancel && (busy === 'run' || busy === 'analyze') && (
                  <button type="button" className="danger-outline" onClick={() => void cancel()} title={`Ask ${engine.label} to cancel the running statement`}>
                    Cancel query
                  </button>
                )}
                {engine.explain && (
                  <button type="button" onClick={() => void explain()} disabled={busy !== null}>
                    {busy === 'explain' ? 'Explaining…' : 'Explain'}
                  </button>
                )}
                {writable && engine.explainAnalyze && (
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
                {engine.exportCsv && (
                  <button type="button" onClick={() => void downloadCsv()} disabled={busy !== null} title="The whole result, streamed, without the row cap">
                    {busy === 'csv' ? 'Downloading…' : 'Download CSV'}
                  </button>
                )}
                <span className="muted small">Ctrl/⌘ + Enter runs</span>
                {readOnly && (
                  <span className="read-only-note small" title="Your role on this project is viewer">
                    Your SQL runs read-only: as a viewer you can query but not change data.
                  </span>
                )}
              </div>
              {writable && engine.explainAnalyze && (
                <p className="muted small analyze-note">Explain analyze executes the statement (a write is made and audited); Explain only plans it.</p>
              )}
              <ErrorMessage error={cancelError} onDismiss={() => setCancelError(null)} />
              <ErrorMessage error={exportError} onDismiss={() => setExportError(null)} />
              {outcome?.kind === 'error' &&
                (isCanceled(outcome.error) ? <p className="notice" role="status">The query was canceled.</p> : <SqlError error={outcome.error} sql={outcome.sql} engine={engine} />)}
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
                      Only the first {formatCount(outcome.result.rowCap ?? outcome.result.rows.length)} rows are shown.
                      {engine.exportCsv ? ' Use "Download CSV" for the whole result, or add a LIMIT.' : ' Add a LIMIT, or narrow the query.'}
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
