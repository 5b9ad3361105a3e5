// `/project/{ref}/databases/postgres`: SQL work that is never lost (./sqlwork/SqlWorkbench.tsx) on
// PostgreSQL: Cancel (the server cancels the statement), EXPLAIN and EXPLAIN ANALYZE with the plan
// drawn, CSV export, completion with `public`'s tables bare, next to the schemas' tables and views.
import { PostgreSQL } from '@codemirror/lang-sql'
import { QueryClientProvider } from '@tanstack/react-query'
import { useMemo } from 'react'
import { ApiError, pg, sqlErrorDetails, type PgRelation } from '../api'
import { useLoad } from '../useLoad'
import { PgHeader, usePgContext } from './PgNav'
import { queryClient } from './sqlwork/queryClient'
import { SqlWorkbench, type SidebarRelation, type SqlEngine } from './sqlwork/SqlWorkbench'

interface Props {
  projectRef: string
  connectionId?: string
}

/** An identifier as SQL: bare when it is a plain lower-case name, double-quoted otherwise. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`
}

function isCanceled(error: unknown): boolean {
  return error instanceof ApiError && (error.details as { code?: unknown } | undefined)?.code === '57014' && /canceled by the user/.test(error.message)
}

/** A table or view as the sidebar lists it; a click opens its first 100 rows. */
function sidebarRelation(r: PgRelation): SidebarRelation {
  return {
    schema: r.schema,
    name: r.name,
    label: r.schema === 'public' ? r.name : `${r.schema}.${r.name}`,
    rowsEstimate: r.live_rows_estimate,
    columns: r.columns.map((c) => ({ name: c.name, type: c.format, fullType: c.data_type, nullable: c.is_nullable })),
    select: `SELECT * FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)} LIMIT 100;`,
  }
}

/** PostgreSQL's SQL page on a connection (none: the primary). */
function pgEngine(projectRef: string, connectionId: string | undefined): SqlEngine {
  return {
    label: 'PostgreSQL',
    snippets: 'postgres',
    dialect: PostgreSQL,
    defaultSchema: 'public',
    widthKey: 'switchboard.pg.sidebar-width',
    run: (sql, queryId) => pg.query(projectRef, sql, connectionId, queryId),
    cancel: (queryId) => pg.cancel(projectRef, queryId),
    isCanceled,
    explain: (sql) => pg.explain(projectRef, sql, connectionId),
    explainAnalyze: (sql, queryId) => pg.explainAnalyze(projectRef, sql, connectionId, queryId),
    exportCsv: (sql) => pg.exportCsv(projectRef, sql, connectionId),
    errorInfo: (error) => {
      const details = sqlErrorDetails(error)
      if (!details) return null
      return { position: details.position ?? null, badges: details.code ? [`SQLSTATE ${details.code}`] : [], detail: details.detail, hint: details.hint }
    },
  }
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
  const tables = useLoad(
    () => (noConnection ? Promise.resolve([]) : pg.tables(projectRef, connectionId).then((rs) => rs.map(sidebarRelation))),
    [projectRef, connectionId, noConnection],
  )
  const views = useLoad(
    () => (noConnection ? Promise.resolve([]) : pg.views(projectRef, connectionId).then((rs) => rs.map(sidebarRelation))),
    [projectRef, connectionId, noConnection],
  )
  const engine = useMemo(() => pgEngine(projectRef, connectionId), [projectRef, connectionId])
  return (
    <SqlWorkbench
      projectRef={projectRef}
      engine={engine}
      className="postgres"
      header={<PgHeader projectRef={projectRef} connectionId={connectionId} tab="sql" ctx={ctx} />}
      noConnection={
        noConnection ? (
          <div className="empty">
            <p>This project has no PostgreSQL connection yet.</p>
            <p className="muted">
              An admin adds one with <code>POST /api/platform/postgres/{projectRef}/connections</code>.
            </p>
          </div>
        ) : null
      }
      connectionKey={connectionId ?? ctx.active?.id ?? null}
      writable={ctx.writable}
      readOnly={ctx.project.data !== undefined && !ctx.writable}
      tables={tables}
      views={views}
    />
  )
}
