// The projects the caller can see, by organization.
import { projects, type Project } from '../api'
import { Link } from '../router'
import { ErrorMessage } from '../components/ErrorMessage'
import { useLoad } from '../useLoad'

export function ProjectPicker() {
  const { data, error, loading } = useLoad(() => projects.list(), [])
  const byOrganization = new Map<string, Project[]>()
  for (const project of data ?? []) {
    const list = byOrganization.get(project.organization_slug) ?? []
    list.push(project)
    byOrganization.set(project.organization_slug, list)
  }
  return (
    <section>
      <h1>Projects</h1>
      <ErrorMessage error={error} />
      {loading && !data && <p className="muted">Loading projects…</p>}
      {data && data.length === 0 && (
        <p className="empty">You are not a member of any project yet. Ask an organization owner to add you.</p>
      )}
      {[...byOrganization].map(([organization, list]) => (
        <div key={organization} className="org">
          <h2 className="muted">{organization}</h2>
          <ul className="cards">
            {list.map((p) => (
              <li key={p.id}>
                <Link href={`/project/${encodeURIComponent(p.ref)}`} className="card link-card">
                  <strong>{p.name}</strong>
                  <span className="muted mono">{p.ref}</span>
                  <span className="badge">{p.role}</span>
                </Link>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  )
}
