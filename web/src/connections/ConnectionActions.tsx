// The connection buttons of the project page: "Add connection" above the list, and per row "Edit",
// "Test" and "Delete" (with a confirmation). Each reports a change with `onChanged`, so the page
// reloads the list, and owns its own dialog and results so the page stays a plain list. The form
// is a chunk of its own, fetched when a dialog first opens: the project page does not need it.
import { findEngine } from '../engines/registry'
import { lazy, Suspense, useState, type ComponentProps } from 'react'
import { connections, type Connection, type ConnectionBody, type ConnectionTestReport, type Engine, type Role } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { Loading } from '../components/Loading'
import { AdminButton } from './AdminButton'
import type { TestRequest } from './form'
import { TestOutcome } from './TestOutcome'

const LazyConnectionForm = lazy(() => import('./ConnectionForm').then((m) => ({ default: m.ConnectionForm })))

/** The connection dialog, with a small stand-in while its code loads. */
function ConnectionForm(props: ComponentProps<typeof LazyConnectionForm>) {
  return (
    <Suspense
      fallback={
        <div className="backdrop">
          <div className="dialog card">
            <Loading />
          </div>
        </div>
      }
    >
      <LazyConnectionForm {...props} />
    </Suspense>
  )
}

/** The form's calls, bound to one project (and to one connection when editing). */
function formCalls(projectRef: string, original?: Connection) {
  return {
    save: (engine: Engine, body: ConnectionBody) =>
      original ? connections.update(engine, projectRef, original.id, body) : connections.create(engine, projectRef, body),
    test: (engine: Engine, request: TestRequest) =>
      request.kind === 'saved'
        ? connections.test(engine, projectRef, request.id)
        : connections.testUnsaved(engine, projectRef, request.body),
  }
}

interface AddProps {
  projectRef: string
  role: Role | undefined
  onChanged: () => void
}

export function AddConnection({ projectRef, role, onChanged }: AddProps) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <AdminButton role={role} className="primary" onClick={() => setOpen(true)}>
        Add connection
      </AdminButton>
      {open && (
        <ConnectionForm
          {...formCalls(projectRef)}
          onSaved={() => {
            setOpen(false)
            onChanged()
          }}
          onCancel={() => setOpen(false)}
        />
      )}
    </>
  )
}

interface RowProps {
  projectRef: string
  connection: Connection
  role: Role | undefined
  onChanged: () => void
}

export function ConnectionActions({ projectRef, connection: c, role, onChanged }: RowProps) {
  const [editing, setEditing] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState<'test' | 'delete' | null>(null)
  const [report, setReport] = useState<ConnectionTestReport | null>(null)
  const [error, setError] = useState<unknown>(null)

  const runTest = async () => {
    setError(null)
    setReport(null)
    setBusy('test')
    try {
      setReport(await connections.test(c.database_type, projectRef, c.id))
      // The test records the connection's status (ACTIVE or ERROR); show the new one.
      onChanged()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(null)
    }
  }

  const remove = async () => {
    setError(null)
    setBusy('delete')
    try {
      await connections.remove(c.database_type, projectRef, c.id)
      onChanged()
    } catch (e) {
      setError(e)
      setBusy(null)
      setConfirming(false)
    }
  }

  return (
    <div className="row-actions">
      <div className="row-buttons">
        {/* The form knows the console's engines; one the server has and it lacks can still be tested and deleted. */}
        {findEngine(c.database_type) && (
          <AdminButton role={role} onClick={() => setEditing(true)} disabled={busy !== null}>
            Edit
          </AdminButton>
        )}
        {/* Any member may test a saved connection: it reads, and shows whether the database is up. */}
        <button type="button" onClick={runTest} disabled={busy !== null} title="Connect with the saved settings">
          {busy === 'test' ? 'Testing…' : 'Test'}
        </button>
        {confirming ? (
          <>
            <span className="muted small">Delete {c.identifier}?</span>
            <button type="button" className="danger" onClick={remove} disabled={busy !== null}>
              {busy === 'delete' ? 'Deleting…' : 'Confirm'}
            </button>
            <button type="button" onClick={() => setConfirming(false)} disabled={busy !== null}>
              Cancel
            </button>
          </>
        ) : (
          <AdminButton role={role} className="danger-outline" onClick={() => setConfirming(true)} disabled={busy !== null}>
            Delete
          </AdminButton>
        )}
      </div>
      {report && <TestOutcome engine={c.database_type} report={report} />}
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      {editing && (
        <ConnectionForm
          original={c}
          {...formCalls(projectRef, c)}
          onSaved={() => {
            setEditing(false)
            setReport(null)
            onChanged()
          }}
          onCancel={() => setEditing(false)}
        />
      )}
    </div>
  )
}
