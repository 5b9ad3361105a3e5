// `/project/{ref}`: every database connection of the project, across engines, one click away.
import { projects, type Connection, type Engine } from '../api'
import { Link } from '../router'
import { ErrorMessage } from '../components/ErrorMessage'
import { useLoad } from '../useLoad'

export const ENGINE_NAMES: Record<Engine, string> = { redis: 'Redis', mongodb: 'MongoDB', postgres: 'PostgreSQL' }

/** Where a connection opens in the console. */
export function connectionHref(projectRef: string, c: Connection): string {
  const base = `/project/${encodeURIComponent(projectRef)}/databases/${c.database_type}`
  return c.is_primary ? base : `${base}?connection_id=${encodeURIComponent(c.id)}`
}

export function ProjectHome({ projectRef }: { projectRef: string }) {
  const project = useLoad(() => projects.get(projectRef), [projectRef])
  const databases = useLoad(() => projects.databases(projectRef), [projectRef])
  const list = databases.data ?? []
  return (
    <section>
      <p className="crumbs">
        <Link href="/">Projects</Link> / {project.data?.name ?? projectRef}
      </p>
      <h1>
        {project.data?.name ?? projectRef}{' '}
        {project.data && <span className="badge">{project.data.role}</span>}
      </h1>
      <ErrorMessage error={project.error ?? databases.error} />
      {databases.loading && !databases.data && <p className="muted">Loading databases…</p>}
      {databases.data && list.length === 0 && (
        <div className="empty">
          <p>This project has no database connections yet.</p>
          <p className="muted">
            An admin adds one with <code>POST /api/platform/{'{engine}'}/{projectRef}/connections</code>; the
            connection forms of the console are coming next.
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
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-connection={c.identifier}>
                <td>
                  <span className={`badge engine-${c.database_type}`}>{ENGINE_NAMES[c.database_type]}</span>
                </td>
                <td className="mono">{c.identifier}</td>
                <td className="mono muted">
                  {c.has_connection_string ? 'connection string' : `${c.host}:${c.port}`}
                </td>
                <td>
                  <span className={`status status-${c.status.toLowerCase()}`}>{c.status.toLowerCase()}</span>
                </td>
                <td>{c.is_primary ? '★ primary' : ''}</td>
                <td>
                  <Link href={connectionHref(projectRef, c)} className="button">
                    Open
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
