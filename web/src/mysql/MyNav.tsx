// What the MariaDB/MySQL pages share: the project and connection they are on, the caller's role,
// the database they look at (`?database=`, else the connection's own, else the first that is not
// MySQL's), and the tabs between the SQL editor, the Table Editor and the database's structure.
import { canChangeSchema, canWrite, projects, type Connection, type Project } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { Link, navigate, useLocation } from '../router'
import { useLoad, type Loaded } from '../useLoad'
import { my, type MyDatabase } from './api'
import { SYSTEM_DATABASES } from './types'

export type MyTab = 'sql' | 'tables' | 'structure'

const TAB_PATHS: Record<MyTab, string> = { sql: '', tables: '/tables', structure: '/structure' }
const TAB_NAMES: Record<MyTab, string> = { sql: 'SQL', tables: 'Table Editor', structure: 'Structure' }

/** The address of a MySQL page on a connection (none: the primary), with more query parameters. */
export function myHref(projectRef: string, tab: MyTab, connectionId?: string, params: [string, string][] = []): string {
  const query = new URLSearchParams()
  if (connectionId) query.set('connection_id', connectionId)
  for (const [k, v] of params) query.append(k, v)
  const text = query.toString()
  return `/project/${encodeURIComponent(projectRef)}/databases/mysql${TAB_PATHS[tab]}${text ? `?${text}` : ''}`
}

export interface MyContext {
  project: Loaded<Project>
  connections: Connection[]
  active: Connection | undefined
  /** The project's connections are known and none is MySQL. */
  noConnection: boolean
  /** May change rows (developer and above); false while the role is not known yet. */
  writable: boolean
  admin: boolean
  databases: Loaded<MyDatabase[]>
  /** The database the page looks at; null until it is known. */
  database: string | null
  error: unknown
}

/** The database to show: the one asked for, the connection's, or the first of the user's. */
export function pickDatabase(asked: string | null, connectionDatabase: string | null | undefined, databases: MyDatabase[] | undefined): string | null {
  if (asked) return asked
  if (connectionDatabase) return connectionDatabase
  if (!databases) return null
  const own = databases.find((d) => !SYSTEM_DATABASES.includes(d.name.toLowerCase()))
  return (own ?? databases[0])?.name ?? null
}

export function useMyContext(projectRef: string, connectionId?: string): MyContext {
  const { query } = useLocation()
  const project = useLoad(() => projects.get(projectRef), [projectRef])
  const all = useLoad(() => projects.databases(projectRef), [projectRef])
  const connections = (all.data ?? []).filter((c) => c.database_type === 'mysql')
  const noConnection = all.data !== undefined && connections.length === 0
  const databases = useLoad(
    () => (noConnection ? Promise.resolve([]) : my.databases(projectRef, connectionId)),
    [projectRef, connectionId, noConnection],
  )
  const active = connections.find((c) => (connectionId ? c.id === connectionId : c.is_primary))
  return {
    project,
    connections,
    active,
    noConnection,
    writable: canWrite(project.data?.role),
    admin: canChangeSchema(project.data?.role),
    databases,
    database: all.data === undefined ? null : pickDatabase(query.get('database'), active?.database_name, databases.data),
    error: project.error ?? all.error,
  }
}

/** Crumbs, the title, the connection and database pickers, and the tabs. */
export function MyHeader({ projectRef, connectionId, tab, ctx }: { projectRef: string; connectionId?: string; tab: MyTab; ctx: MyContext }) {
  const base = `/project/${encodeURIComponent(projectRef)}`
  const keep: [string, string][] = ctx.database ? [['database', ctx.database]] : []
  const names = (ctx.databases.data ?? []).map((d) => d.name)
  return (
    <>
      <p className="crumbs">
        <Link href="/">Projects</Link> / <Link href={base}>{ctx.project.data?.name ?? projectRef}</Link> / MariaDB / MySQL
      </p>
      <div className="toolbar">
        <h1>{tab === 'sql' ? 'MariaDB / MySQL' : TAB_NAMES[tab]}</h1>
        {ctx.connections.length > 1 && (
          <select
            aria-label="Connection"
            value={ctx.active?.id ?? ''}
            onChange={(e) => {
              const c = ctx.connections.find((x) => x.id === e.target.value)
              if (c) navigate(myHref(projectRef, tab, c.is_primary ? undefined : c.id))
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
        {ctx.database !== null && (
          <label className="small">
            Database{' '}
            <select
              aria-label="Database"
              value={ctx.database}
              onChange={(e) => navigate(myHref(projectRef, tab, connectionId, [['database', e.target.value]]))}
            >
              {(names.includes(ctx.database) ? names : [ctx.database, ...names]).map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
        )}
        <nav className="tabs" aria-label="MySQL pages">
          {(Object.keys(TAB_PATHS) as MyTab[]).map((t) => (
            <Link key={t} href={myHref(projectRef, t, connectionId, keep)} className={t === tab ? 'tab current' : 'tab'} aria-current={t === tab ? 'page' : undefined}>
              {TAB_NAMES[t]}
            </Link>
          ))}
        </nav>
      </div>
      <ErrorMessage error={ctx.error ?? ctx.databases.error} />
    </>
  )
}
