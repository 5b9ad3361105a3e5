// What the PostgreSQL pages share: the project and connection they are on, the caller's role, and
// the tabs between the SQL editor, the Table Editor, the database's objects, the types and performance.
import { canChangeSchema, canWrite, projects, type Connection, type Project } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { Link, navigate } from '../router'
import { useLoad, type Loaded } from '../useLoad'

export type PgTab = 'sql' | 'tables' | 'database' | 'types' | 'performance'

const TAB_PATHS: Record<PgTab, string> = { sql: '', tables: '/tables', database: '/database', types: '/types', performance: '/performance' }
const TAB_NAMES: Record<PgTab, string> = { sql: 'SQL', tables: 'Table Editor', database: 'Database', types: 'Types', performance: 'Performance' }

/** The address of a PostgreSQL page, on a connection (none: the primary), with more query parameters. */
export function pgHref(projectRef: string, tab: PgTab, connectionId?: string, params: [string, string][] = []): string {
  const query = new URLSearchParams()
  if (connectionId) query.set('connection_id', connectionId)
  for (const [k, v] of params) query.append(k, v)
  const text = query.toString()
  return `/project/${encodeURIComponent(projectRef)}/databases/postgres${TAB_PATHS[tab]}${text ? `?${text}` : ''}`
}

export interface PgContext {
  project: Loaded<Project>
  connections: Connection[]
  active: Connection | undefined
  /** The project's connections are known and none is PostgreSQL. */
  noConnection: boolean
  /** May change rows (developer and above); false while the role is not known yet. */
  writable: boolean
  /** May change the schema (admin, owner). */
  admin: boolean
  error: unknown
}

export function usePgContext(projectRef: string, connectionId?: string): PgContext {
  const project = useLoad(() => projects.get(projectRef), [projectRef])
  const databases = useLoad(() => projects.databases(projectRef), [projectRef])
  const pgConnections = (databases.data ?? []).filter((c) => c.database_type === 'postgres')
  return {
    project,
    connections: pgConnections,
    active: pgConnections.find((c) => (connectionId ? c.id === connectionId : c.is_primary)),
    noConnection: databases.data !== undefined && pgConnections.length === 0,
    writable: canWrite(project.data?.role),
    admin: canChangeSchema(project.data?.role),
    error: project.error ?? databases.error,
  }
}

/** Crumbs, the title, the connection picker and the tabs. */
export function PgHeader({ projectRef, connectionId, tab, ctx }: { projectRef: string; connectionId?: string; tab: PgTab; ctx: PgContext }) {
  const base = `/project/${encodeURIComponent(projectRef)}`
  return (
    <>
      <p className="crumbs">
        <Link href="/">Projects</Link> / <Link href={base}>{ctx.project.data?.name ?? projectRef}</Link> / PostgreSQL
      </p>
      <div className="toolbar">
        <h1>{tab === 'sql' ? 'PostgreSQL' : TAB_NAMES[tab]}</h1>
        {ctx.connections.length > 1 && (
          <select
            aria-label="Connection"
            value={ctx.active?.id ?? ''}
            onChange={(e) => {
              const c = ctx.connections.find((x) => x.id === e.target.value)
              if (c) navigate(pgHref(projectRef, tab, c.is_primary ? undefined : c.id))
            }}
          >
            {ctx.connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.identifier}
                {c.is_primary ? ' (primary)' : ''}
              </option>
            ))}
          </select>
        )}
        {ctx.connections.length === 1 && ctx.active && <span className="muted mono">{ctx.active.identifier}</span>}
        <nav className="tabs" aria-label="PostgreSQL pages">
          {(Object.keys(TAB_PATHS) as PgTab[]).map((t) => (
            <Link key={t} href={pgHref(projectRef, t, connectionId)} className={t === tab ? 'tab current' : 'tab'} aria-current={t === tab ? 'page' : undefined}>
              {TAB_NAMES[t]}
            </Link>
          ))}
        </nav>
      </div>
      <ErrorMessage error={ctx.error} />
    </>
  )
}
