// `/project/{ref}`: every database connection of the project, across engines, one click away.
import { projects, type Connection } from '../api'
import { Link } from '../router'
import { ErrorMessage } from '../components/ErrorMessage'
import { useLoad } from '../useLoad'
import { AddConnection, ConnectionActions } from '../connections/ConnectionActions'
import { canManageConnections } from '../connections/AdminButton'
import { ENGINES, engineLabel, findEngine } from '../engines/registry'
import { TeamLinks } from '../team/TeamLinks'

/** "Redis, MongoDB or PostgreSQL": every engine a connection may be. */
const ENGINE_LABELS = ENGINES.map((e) => e.label)
const ENGINE_CHOICES = [ENGINE_LABELS.slice(0, -1).join(', '), ...ENGINE_LABELS.slice(-1)].filter(Boolean).join(' or ')

/** Where a connection opens in the console. */
export function connectionHref(projectRef: string, c: Connection): string {
  const base = `/project/${encodeURIComponent(projectRef)}/databases/${c.database_type}`
  return c.is_primary ? base : `${base}?connection_id=${encodeURIComponent(c.id)}`
}

/**
 * Which database of its server a connection opens, so two connections to one server differ (the
 * database name, the Redis db number…): its engine's summary.
 */
export function databaseLabel(c: Connection): string | null {
  // An engine the server has and this console not yet: its database name, if any.
  return findEngine(c.database_type)?.summary(c) ?? c.database_name ?? null
}

export function ProjectHome({ projectRef }: { projectRef: string }) {
  const project = useLoad(() => projects.get(projectRef), [projectRef])
  const databases = useLoad(() => projects.databases(projectRef), [projectRef])
  const list = databases.data ?? []
  const role = project.data?.role
  return (
    <section>
      <p className="crumbs">
        <Link href="/">Projects</Link> / {project.data?.name ?? projectRef}
      </p>
      <div className="toolbar">
        <h1>
          {project.data?.name ?? projectRef}{' '}
          {project.data && <span className="badge">{project.data.role}</span>}
        </h1>
        <AddConnection projectRef={projectRef} role={role} onChanged={databases.reload} />
      </div>
      <TeamLinks projectRef={projectRef} current="" />
      <ErrorMessage error={project.error ?? databases.error} />
      {databases.loading && !databases.data && <p className="muted">Loading databases…</p>}
      {databases.data && list.length === 0 && (
        <div className="empty">
          <p>This project has no database connections yet.</p>
          <p className="muted">
            {canManageConnections(role)
              ? `Add one with “Add connection”: ${ENGINE_CHOICES}, by host and port or by connection string.`
              : 'Ask an admin or owner of this project to add one.'}
          </p>
        </div>
      )}
      {list.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>Engine</th>
              <th>Identifier</th>
              <th>Address</th>
              <th>Status</th>
              <th>Primary</th>
              <th />
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-connection={c.identifier}>
                <td>
                  <span className={`badge engine-${c.database_type}`}>{engineLabel(c.database_type)}</span>
                </td>
                <td className="mono">{c.identifier}</td>
                <td className="mono muted">
                  {c.has_connection_string ? 'connection string' : `${c.host}:${c.port}`}
                  {databaseLabel(c) && <span className="database-name"> {databaseLabel(c)}</span>}
                </td>
                <td>
                  <span
                    className={`status status-${c.status.toLowerCase()}`}
                    title={c.status_error ?? (c.status === 'CONNECTING' ? 'Not checked yet' : undefined)}
                  >
                    {c.status === 'CONNECTING' ? 'checking' : c.status.toLowerCase()}
                  </span>
                  {c.status === 'ERROR' && c.status_error && <div className="small error-text">{c.status_error}</div>}
                  {canManageConnections(role) && <PowersWarning connection={c} />}
                </td>
                <td>{c.is_primary ? '★ primary' : ''}</td>
                <td>
                  {findEngine(c.database_type) && (
                    <Link href={connectionHref(projectRef, c)} className="button">
                      Open
                    </Link>
                  )}
                </td>
                <td>
                  <ConnectionActions projectRef={projectRef} connection={c} role={role} onChanged={databases.reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** Tells admins when a connection's login can reach the database host, and what viewers get. */
export function PowersWarning({ connection }: { connection: Connection }) {
  const p = connection.privileges
  if (!p || p.host_powers.length === 0) return null
  const viewers =
    p.viewer_sql === 'refused'
      ? "viewers' SQL is refused; give the connection viewer credentials (a login without these powers)"
      : "viewers' SQL runs as the viewer login"
  return (
    <span className="badge warning" role="note" title={`The login has ${p.host_powers.join(', ')}: ${viewers}.`}>
      ⚠ {p.host_powers.join(', ')}
    </span>
  )
}
