// What an engine page needs to know about its connection before offering anything: whether it
// works. The status comes from the server's periodic health check and from real use, so a dead
// connection is known without anyone pressing Test; the page shows the reason once (this banner)
// and disables what cannot work.
import { useEffect, type ReactNode } from 'react'
import { connections, type Connection, type Engine } from '../api'
import { engineOf } from '../engines/registry'
import { useLoad } from '../useLoad'

/** How often an open page re-reads its connection's status. */
const REFRESH_MS = 30_000

export interface ConnectionHealth {
  /** The connection the page works on (the id given, else the engine's primary). */
  connection: Connection | undefined
  /** False while the server knows the connection to be failing. */
  usable: boolean
  reload: () => void
}

export function useConnectionHealth(projectRef: string, engine: Engine, connectionId: string | undefined): ConnectionHealth {
  const list = useLoad(() => connections.list(engine, projectRef), [engine, projectRef])
  const { reload } = list
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS)
    return () => window.clearInterval(timer)
  }, [reload])
  const connection = list.data?.find((c) => (connectionId ? c.id === connectionId : c.is_primary))
  return { connection, usable: connection?.status !== 'ERROR', reload }
}

/** The one place a failing connection's reason is shown on an engine page. */
export function ConnectionDown({ health }: { health: ConnectionHealth }) {
  const c = health.connection
  if (!c || c.status !== 'ERROR') return null
  const checked = c.status_checked_at ? new Date(c.status_checked_at).toLocaleTimeString() : null
  return (
    <div className="error connection-down" role="alert" data-connection-down={c.identifier}>
      <span>
        <strong>{c.identifier}</strong> is not reachable: {c.status_error ?? 'the last check failed'}
        {checked && <span className="muted"> (checked {checked})</span>}. Actions that need the server are disabled
        until it answers again.
      </span>
      <button type="button" className="link" onClick={health.reload}>
        Check again
      </button>
    </div>
  )
}

/**
 * Mounts an engine page only while its connection is not known to be failing. A failing one gets
 * its reason once (no page of errors, one per panel) and the page's actions, disabled; the page
 * mounts by itself when the next status read finds the connection working again.
 */
export function ConnectionGate({
  projectRef,
  engine,
  connectionId,
  children,
}: {
  projectRef: string
  engine: Engine
  connectionId: string | undefined
  children: ReactNode
}) {
  const health = useConnectionHealth(projectRef, engine, connectionId)
  if (health.usable) return <>{children}</>
  const reason = 'The connection is not reachable; this comes back when it answers again.'
  return (
    <section className="connection-gate">
      <ConnectionDown health={health} />
      <div className="toolbar" aria-label="Unavailable actions">
        {engineOf(engine).gateActions.map((label) => (
          <span key={label} className="tooltip-host" title={reason}>
            <button type="button" disabled>
              {label}
            </button>
          </span>
        ))}
      </div>
    </section>
  )
}
