// `/project/{ref}/activity`: what runs on every database of the project right now, longest first,
// refreshed every 2 s (Pause stops it). A blocked session names and links its blockers; a
// connection that could not be asked is listed with its error; admins stop a session through the
// engine route the server names, after a two-step confirmation.
import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { activity, projects, roleAtLeast, type ActivityEntry } from '../api'
import { TwoStepConfirm } from '../components/ConfirmAction'
import { ErrorMessage } from '../components/ErrorMessage'
import { engineLabel } from '../engines/registry'
import { Link } from '../router'
import { TeamLinks } from '../team/TeamLinks'
import { blockedCounts, entryKey, formatDuration, rowId } from './activity'

/** How often the list is read again while not paused. */
export const REFRESH_MS = 2000

export function ActivityPage({ projectRef }: { projectRef: string }) {
  const project = useQuery({ queryKey: ['project', projectRef], queryFn: () => projects.get(projectRef) })
  const admin = roleAtLeast(project.data?.role, 'admin')
  const [paused, setPaused] = useState(false)
  const [killError, setKillError] = useState<unknown>(null)
  const list = useQuery({
    queryKey: ['project-activity', projectRef],
    queryFn: () => activity.project(projectRef),
    refetchInterval: paused ? false : REFRESH_MS,
    // The page is about now: nothing cached counts as fresh.
    staleTime: 0,
  })
  const entries = list.data?.entries ?? []
  const listed = new Set(entries.map(entryKey))
  const blocks = blockedCounts(entries)
  const stop = async (e: ActivityEntry) => {
    if (!e.kill) return
    setKillError(null)
    try {
      await activity.kill(e.kill)
    } catch (err) {
      setKillError(err)
    }
    await list.refetch()
  }
  const base = `/project/${encodeURIComponent(projectRef)}`
  return (
    <section className="activity-page">
      <p className="crumbs">
        <Link href="/">Projects</Link> / <Link href={base}>{project.data?.name ?? projectRef}</Link> / Activity
      </p>
      <div className="toolbar">
        <h1>Activity</h1>
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span className="muted" role="status">
          {paused
            ? 'Paused'
            : list.isFetching
              ? 'Refreshing…'
              : list.dataUpdatedAt
                ? `Updated ${new Date(list.dataUpdatedAt).toLocaleTimeString()}, every ${REFRESH_MS / 1000} s`
                : ''}
        </span>
      </div>
      <TeamLinks projectRef={projectRef} current="activity" />
      <ErrorMessage error={project.error ?? list.error ?? killError} onDismiss={killError ? () => setKillError(null) : undefined} />
      {list.data && list.data.unreachable.length > 0 && (
        <div className="notice" aria-label="Unreachable connections">
          <p>Not every connection could be asked:</p>
          <ul>
            {list.data.unreachable.map((u) => (
              <li key={u.connection_id} data-unreachable={u.connection_name}>
                <strong>{u.connection_name}</strong> ({engineLabel(u.engine)}): <span className="error-text">{u.error}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {list.data && entries.length === 0 && <p className="empty">Nothing is running on the project's databases.</p>}
      {entries.length > 0 && (
        <table className="grid compact" aria-label="Sessions and operations">
          <thead>
            <tr>
              <th>Engine</th>
              <th>Connection</th>
              <th>Id</th>
              <th>User</th>
              <th>Client</th>
              <th>State</th>
              <th className="num">Duration</th>
              <th>What</th>
              <th>Blocked by</th>
              {admin && <th />}
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => {
              const key = entryKey(e)
              const blocking = blocks.get(key) ?? 0
              return (
                <tr
                  key={key}
                  id={rowId(e)}
                  className={e.blocked_by.length > 0 ? 'blocked' : e.active ? undefined : 'idle'}
                  data-activity-id={e.id}
                  data-engine={e.engine}
                >
                  <td>
                    <span className={`badge engine-${e.engine}`}>{engineLabel(e.engine)}</span>
                  </td>
                  <td>{e.connection_name}</td>
                  <td className="mono">{e.id}</td>
                  <td>{e.user ?? ''}</td>
                  <td className="mono">{e.client ?? ''}</td>
                  <td>
                    {e.state ?? ''}
                    {blocking > 0 && (
                      <span className="badge warning" title="Sessions waiting for this one">
                        blocks {blocking}
                      </span>
                    )}
                  </td>
                  <td className="num">{formatDuration(e.duration_ms)}</td>
                  <td className="mono activity-what">{e.what ?? ''}</td>
                  <td data-blocked-by={e.blocked_by.join(' ')}>
                    {e.blocked_by.map((b, i) => {
                      const blocker = { connection_id: e.connection_id, id: b }
                      return (
                        <span key={b}>
                          {i > 0 && ', '}
                          {listed.has(entryKey(blocker)) ? (
                            <a href={`#${rowId(blocker)}`} className="mono">
                              {b}
                            </a>
                          ) : (
                            <span className="mono" title="Not in this list (another database, or ended)">
                              {b}
                            </span>
                          )}
                        </span>
                      )
                    })}
                  </td>
                  {admin && (
                    <td>
                      {e.kill && (
                        <TwoStepConfirm
                          confirmLabel={e.kill.label}
                          onConfirm={() => stop(e)}
                          trigger={(ask) => (
                            <button type="button" className="danger-outline" onClick={ask}>
                              {e.kill?.label ?? 'Stop'}…
                            </button>
                          )}
                        />
                      )}
                    </td>
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
