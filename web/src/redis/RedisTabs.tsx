// The tabs of the Redis pages (Keys, Pub/Sub, Server, Command line, Slowlog, Clients, Analysis) and the header the Pub/Sub and Server pages
// share. Every link keeps `?connection_id=`, so switching tabs stays on the same Redis.
import type { ReactNode } from 'react'
import { canWrite, projects, type Connection, type Project } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { Link, navigate } from '../router'
import { useLoad } from '../useLoad'

export type RedisTab = 'keys' | 'pubsub' | 'server' | 'cli' | 'slowlog' | 'clients' | 'analysis'

const TABS: { tab: RedisTab; label: string; path: string }[] = [
  { tab: 'keys', label: 'Keys', path: '' },
  { tab: 'pubsub', label: 'Pub/Sub', path: '/pubsub' },
  { tab: 'server', label: 'Server', path: '/server' },
  { tab: 'cli', label: 'Command line', path: '/cli' },
  { tab: 'slowlog', label: 'Slowlog', path: '/slowlog' },
  { tab: 'clients', label: 'Clients', path: '/clients' },
  { tab: 'analysis', label: 'Analysis', path: '/analysis' },
]

/** The address of a Redis tab, on a given connection (none: the primary). */
export function redisHref(projectRef: string, tab: RedisTab, connectionId?: string): string {
  const path = TABS.find((t) => t.tab === tab)?.path ?? ''
  const base = `/project/${encodeURIComponent(projectRef)}/databases/redis${path}`
  return connectionId ? `${base}?connection_id=${encodeURIComponent(connectionId)}` : base
}

export function RedisTabs({ projectRef, connectionId, current }: { projectRef: string; connectionId?: string; current: RedisTab }) {
  return (
    <nav className="tabs" aria-label="Redis">
      {TABS.map((t) => (
        <Link
          key={t.tab}
          href={redisHref(projectRef, t.tab, connectionId)}
          className={t.tab === current ? 'tab current' : 'tab'}
          aria-current={t.tab === current ? 'page' : undefined}
        >
          {t.label}
        </Link>
      ))}
    </nav>
  )
}

export interface RedisContext {
  project: Project | undefined
  /** The project's Redis connections; undefined while loading. */
  connections: Connection[] | undefined
  /** The connection shown: `?connection_id=` or the primary. */
  active: Connection | undefined
  writable: boolean
  error: unknown
}

/** The project, its Redis connections and whether the user may write. */
export function useRedisContext(projectRef: string, connectionId?: string): RedisContext {
  const project = useLoad(() => projects.get(projectRef), [projectRef])
  const databases = useLoad(() => projects.databases(projectRef), [projectRef])
  const connections = databases.data?.filter((c) => c.database_type === 'redis')
  return {
    project: project.data,
    connections,
    active: connections?.find((c) => (connectionId ? c.id === connectionId : c.is_primary)),
    writable: canWrite(project.data?.role),
    error: project.error ?? databases.error,
  }
}

/**
 * Crumbs, title, connection picker and tabs of a Redis page; `children` when the project has a
 * Redis connection, or what to do about it when not.
 */
export function RedisFrame({
  projectRef,
  connectionId,
  tab,
  context,
  title,
  tools,
  children,
}: {
  projectRef: string
  connectionId?: string
  tab: RedisTab
  context: RedisContext
  title: string
  tools?: ReactNode
  children: ReactNode
}) {
  const { project, connections, active } = context
  const base = `/project/${encodeURIComponent(projectRef)}`
  return (
    <section className="redis">
      <p className="crumbs">
        <Link href="/">Projects</Link> / <Link href={base}>{project?.name ?? projectRef}</Link> /{' '}
        <Link href={redisHref(projectRef, 'keys', connectionId)}>Redis</Link> / {title}
      </p>
      <div className="toolbar">
        <h1>Redis</h1>
        {connections && connections.length > 1 && (
          <select
            aria-label="Connection"
            value={active?.id ?? ''}
            onChange={(e) => {
              const c = connections.find((x) => x.id === e.target.value)
              if (c) navigate(redisHref(projectRef, tab, c.is_primary ? undefined : c.id))
            }}
          >
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.identifier}
                {c.is_primary ? ' (primary)' : ''}
              </option>
            ))}
          </select>
        )}
        {connections?.length === 1 && active && <span className="muted mono">{active.identifier}</span>}
        {tools}
      </div>
      <RedisTabs projectRef={projectRef} connectionId={connectionId} current={tab} />
      <ErrorMessage error={context.error} />
      {connections && connections.length === 0 ? (
        <div className="empty">
          <p>This project has no Redis connection yet.</p>
          <p className="muted">
            An admin adds one with <code>POST /api/platform/redis/{projectRef}/connections</code>.
          </p>
        </div>
      ) : (
        children
      )}
    </section>
  )
}
