// A schema change shown before it runs: "Preview SQL" asks the server for the statement with
// `dry_run`, and only then is "Apply" offered; any change to the form (a new `fingerprint`) takes
// the preview away, so what is applied is always what was shown.
import { useState } from 'react'
import { isDryRun } from '../api'
import { TypedConfirm, type Loss } from '../components/ConfirmAction'
import { ErrorMessage } from '../components/ErrorMessage'

/** A destructive change's typed confirmation: what to type, and what will be lost. */
export interface TypedDrop {
  title: string
  /** The object's name, to be typed. */
  name: string
  /** Its kind in words: "table", "index", "column", "schema". */
  what: string
  losses?: Loss[]
}

interface Props {
  /** Runs the change, as a dry run or for real. */
  run: (dryRun: boolean) => Promise<unknown>
  /** The form's state; a preview of another state is not applied. */
  fingerprint: string
  onApplied: (result: unknown) => void
  /** Why the change cannot be asked for yet (an incomplete form), or null. */
  invalid?: string | null
  applyLabel?: string
  danger?: boolean
  /** For a drop: Apply opens a typed confirmation (the name typed, the losses stated) first. */
  typed?: TypedDrop
}

export function DryRunApply({ run, fingerprint, onApplied, invalid = null, applyLabel = 'Apply', danger = false, typed }: Props) {
  const [confirming, setConfirming] = useState(false)
  const [preview, setPreview] = useState<{ sql: string; fingerprint: string } | null>(null)
  const [busy, setBusy] = useState<'preview' | 'apply' | null>(null)
  const [error, setError] = useState<unknown>(null)
  const current = preview && preview.fingerprint === fingerprint ? preview : null

  const askPreview = async () => {
    setBusy('preview')
    setError(null)
    try {
      const answer = await run(true)
      if (!isDryRun(answer)) throw new Error('The server did not answer the SQL of the dry run.')
      setPreview({ sql: answer.sql, fingerprint })
    } catch (e) {
      setError(e)
    } finally {
      setBusy(null)
    }
  }
  const apply = async () => {
    setBusy('apply')
    setError(null)
    try {
      const result = await run(false)
      setPreview(null)
      onApplied(result)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(null)
    }
  }
  return (
    <div className="dry-run">
      {invalid && <p className="muted small">{invalid}</p>}
      {current && (
        <>
          <p className="small muted">This SQL will run:</p>
          <pre className="sql-preview mono" data-sql-preview>
            {current.sql}
          </pre>
        </>
      )}
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      <div className="buttons">
        <button type="button" onClick={() => void askPreview()} disabled={busy !== null || invalid !== null}>
          {busy === 'preview' ? 'Preparing…' : 'Preview SQL'}
        </button>
        <button
          type="button"
          className={danger ? 'danger' : 'primary'}
          onClick={() => (typed ? setConfirming(true) : void apply())}
          disabled={!current || busy !== null}
          title={current ? undefined : 'Preview the SQL first'}
        >
          {busy === 'apply' ? 'Applying…' : applyLabel}
        </button>
      </div>
      {typed && confirming && current && (
        <TypedConfirm
          title={typed.title}
          name={typed.name}
          what={typed.what}
          losses={typed.losses}
          confirmLabel={applyLabel}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            const result = await run(false)
            setConfirming(false)
            setPreview(null)
            onApplied(result)
          }}
        >
          <pre className="sql-preview mono small">{current.sql}</pre>
        </TypedConfirm>
      )}
    </div>
  )
}
