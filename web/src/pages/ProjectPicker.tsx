// The projects the caller can see, by organization; creating a project and renaming one.
import { useState, type FormEvent } from 'react'
import { useMutation, useQuery } from '@tanstack/react-query'
import { projects, roleAtLeast, team, type Project } from '../api'
import { Link } from '../router'
import { queryClient } from '../queryClient'
import { ErrorMessage } from '../components/ErrorMessage'

export function ProjectPicker() {
  const list = useQuery({ queryKey: ['projects'], queryFn: projects.list })
  const organizations = useQuery({ queryKey: ['organizations'], queryFn: team.organizations })
  const [name, setName] = useState('')
  const [organization, setOrganization] = useState('')
  const create = useMutation({
    mutationFn: () => team.createProject(name, organization || undefined),
    onSuccess: () => {
      setName('')
      void queryClient.invalidateQueries({ queryKey: ['projects'] })
    },
  })
  const byOrganization = new Map<string, Project[]>()
  for (const project of list.data ?? []) {
    const group = byOrganization.get(project.organization_slug) ?? []
    group.push(project)
    byOrganization.set(project.organization_slug, group)
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    create.mutate()
  }
  return (
    <section>
      <h1>Projects</h1>
      <ErrorMessage error={list.error ?? create.error} />
      <form className="inline-form" onSubmit={submit} aria-label="Create a project">
        <input name="project-name" required maxLength={100} placeholder="New project name" value={name} onChange={(e) => setName(e.target.value)} />
        {(organizations.data?.length ?? 0) > 1 && (
          <select name="organization" value={organization} onChange={(e) => setOrganization(e.target.value)} aria-label="Organization">
            <option value="">first organization you own</option>
            {organizations.data?.map((o) => (
              <option key={o.id} value={o.slug}>
                {o.name}
              </option>
            ))}
          </select>
        )}
        <button type="submit" className="primary" disabled={create.isPending}>
          Create project
        </button>
      </form>
      {list.isPending && <p className="muted">Loading projects…</p>}
      {list.data && list.data.length === 0 && (
        <p className="empty">You are not a member of any project yet. Ask an organization owner to add you.</p>
      )}
      {[...byOrganization].map(([slug, group]) => (
        <div key={slug} className="org">
          <h2 className="muted">{slug}</h2>
          <ul className="cards">
            {group.map((p) => (
              <ProjectCard key={p.id} project={p} />
            ))}
          </ul>
        </div>
      ))}
    </section>
  )
}

function ProjectCard({ project }: { project: Project }) {
  const [name, setName] = useState<string | null>(null)
  const rename = useMutation({
    mutationFn: (newName: string) => team.renameProject(project.ref, newName),
    onSuccess: () => {
      setName(null)
      void queryClient.invalidateQueries({ queryKey: ['projects'] })
      void queryClient.invalidateQueries({ queryKey: ['project', project.ref] })
    },
  })
  if (name !== null) {
    return (
      <li className="card">
        <form
          onSubmit={(e) => {
            e.preventDefault()
            rename.mutate(name)
          }}
          aria-label={`Rename ${project.name}`}
        >
          <input name="rename" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
          <button type="submit" className="primary" disabled={rename.isPending}>
            Save
          </button>
          <button type="button" onClick={() => setName(null)}>
            Cancel
          </button>
          <ErrorMessage error={rename.error} />
        </form>
      </li>
    )
  }
  return (
    <li>
      <Link href={`/project/${encodeURIComponent(project.ref)}`} className="card link-card">
        <strong>{project.name}</strong>
        <span className="muted mono">{project.ref}</span>
        <span className="badge">{project.role}</span>
      </Link>
      {roleAtLeast(project.role, 'admin') && (
        <button type="button" className="link" onClick={() => setName(project.name)} aria-label={`Rename ${project.name}`}>
          Rename
        </button>
      )}
    </li>
  )
}
