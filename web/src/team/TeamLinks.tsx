// The tabs of a project: its databases and its team pages.
import { Link } from '../router'

const TABS: [string, string][] = [
  ['', 'Databases'],
  ['activity', 'Activity'],
  ['members', 'Members'],
  ['tokens', 'API tokens'],
  ['audit', 'Audit trail'],
  ['settings', 'Settings'],
]

/** The project's tabs, `current` (a tab's path segment, '' for the databases) highlighted. */
export function TeamLinks({ projectRef, current }: { projectRef: string; current: string }) {
  const base = `/project/${encodeURIComponent(projectRef)}`
  return (
    <nav className="tabs" aria-label="Project">
      {TABS.map(([path, label]) => (
        <Link key={path} href={path ? `${base}/${path}` : base} className={path === current ? 'tab current' : 'tab'}>
          {label}
        </Link>
      ))}
    </nav>
  )
}
