// `/project/{ref}/databases/mysql`: the shared SQL page (../postgres/sqlwork/SqlWorkbench.tsx) on
// MariaDB/MySQL. Statements run in the connection's database; the sidebar lists the tables and
// views of the database picked in the header, and a click opens a SELECT naming that database.
// Errors show MySQL's error number and SQLSTATE, the position marked where the server points; a
// result downloads whole as CSV.
import { MySQL } from '@codemirror/lang-sql'
import { QueryClientProvider } from '@tanstack/react-query'
import { useMemo } from 'react'
import { queryClient } from '../postgres/sqlwork/queryClient'
import { SqlWorkbench, type SidebarRelation, type SqlEngine } from '../postgres/sqlwork/SqlWorkbench'
import { useLoad, type Loaded } from '../useLoad'
import { my, myErrorDetails, type MyColumn } from './api'
import { MyHeader, useMyContext } from './MyNav'
import { quoteIdent } from './types'

interface Props {
  projectRef: string
  connectionId?: string
}

/**
 * MySQL's SQL page on a connection (none: the primary). `runsIn`, the connection's database, is
 * where unqualified names resolve, so only its tables complete bare.
 */
export function mysqlEngine(projectRef: string, connectionId: string | undefined, runsIn: string | null): SqlEngine {
  return {
    label: 'MariaDB / MySQL',
    snippets: 'mysql',
    dialect: MySQL,
    defaultSchema: runsIn ?? undefined,
    widthKey: 'switchboard.mysql.sidebar-width',
    run: (sql) => my.query(projectRef, sql, connectionId),
    exportCsv: (sql) => my.exportCsv(projectRef, sql, connectionId),
    errorInfo: (error) => {
      const d = myErrorDetails(error)
      if (!d) return null
      const badges = [...(d.code !== null ? [`Error ${d.code}`] : []), ...(d.sqlstate ? [`SQLSTATE ${d.sqlstate}`] : [])]
      return { position: d.position, badges }
    },
  }
}

/** The sidebar's entries of a database: its tables or views, with their columns. */
export function relationsOf(
  database: string,
  items: { name: string; rows_estimate?: number | null }[],
  columns: MyColumn[],
): SidebarRelation[] {
  const byTable = new Map<string, MyColumn[]>()
  for (const c of columns) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c])
  return items.map((t) => ({
    schema: database,
    name: t.name,
    label: t.name,
    rowsEstimate: t.rows_estimate ?? undefined,
    columns: (byTable.get(t.name) ?? []).map((c) => ({ name: c.name, type: c.data_type, fullType: c.column_type, nullable: c.nullable })),
    select: `SELECT * FROM ${quoteIdent(database)}.${quoteIdent(t.name)} LIMIT 100;`,
  }))
}

export function MysqlSqlPage(props: Props) {
  return (
    <QueryClientProvider client={queryClient}>
      <SqlPage {...props} />
    </QueryClientProvider>
  )
}

function SqlPage({ projectRef, connectionId }: Props) {
  const ctx = useMyContext(projectRef, connectionId)
  const { noConnection, database } = ctx
  // One load: the tables, the views and the columns of both.
  const catalog = useLoad(async () => {
    if (noConnection || database === null) return { tables: [], views: [] }
    const [tables, views, columns] = await Promise.all([
      my.tables(projectRef, database, connectionId),
      my.views(projectRef, database, connectionId),
      my.columns(projectRef, database, connectionId),
    ])
    return { tables: relationsOf(database, tables, columns), views: relationsOf(database, views, columns) }
  }, [projectRef, connectionId, database, noConnection])
  const listed = (which: 'tables' | 'views'): Loaded<SidebarRelation[]> => ({ ...catalog, data: catalog.data?.[which] })
  const runsIn = ctx.active?.database_name ?? null
  const engine = useMemo(() => mysqlEngine(projectRef, connectionId, runsIn), [projectRef, connectionId, runsIn])
  return (
    <SqlWorkbench
      projectRef={projectRef}
      engine={engine}
      className="postgres mysql"
      header={<MyHeader projectRef={projectRef} connectionId={connectionId} tab="sql" ctx={ctx} />}
      noConnection={
        noConnection ? (
          <div className="empty">
            <p>This project has no MariaDB or MySQL connection yet.</p>
            <p className="muted">An admin adds one on the project page (Add connection).</p>
          </div>
        ) : null
      }
      connectionKey={connectionId ?? ctx.active?.id ?? null}
      writable={ctx.writable}
      readOnly={ctx.project.data !== undefined && !ctx.writable}
      tables={listed('tables')}
      views={listed('views')}
      sidebarTop={
        database !== null && database !== runsIn ? (
          <p className="muted small" data-runs-in>
            {runsIn ? (
              <>
                Statements run in <code>{runsIn}</code>, the connection's database; a click on a table here names <code>{database}</code>.
              </>
            ) : (
              <>This connection has no database of its own: name one in the SQL (a click on a table here does).</>
            )}
          </p>
        ) : undefined
      }
    />
  )
}
