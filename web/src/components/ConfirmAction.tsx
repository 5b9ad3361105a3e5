// Destructive actions that cannot happen by accident.
//
// - `TwoStepConfirm` / `ConfirmDelete`: the quick confirm for one row, key or document. After the
//   first click, Cancel takes the trigger's place and Confirm appears beside it, and Confirm ignores
//   clicks for `ARM_DELAY_MS`: the second click of a double-click lands on Cancel or on a button that
//   is not armed yet, never on Confirm.
// - `TypedConfirm`: for dropping a database, collection, table or index, deleting many rows or keys,
//   killing a session. A dialog in the middle of the screen says what will be lost and is confirmed
//   only once the user has typed the object's name.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react'
import { WriteButton } from './WriteButton'

/** How long a freshly shown Confirm ignores clicks: longer than any double-click interval. */
export const ARM_DELAY_MS = 700

/** True once `ARM_DELAY_MS` has passed since `shown` became true. */
function useArmed(shown: boolean): boolean {
  const [armed, setArmed] = useState(false)
  useEffect(() => {
    if (!shown) {
      setArmed(false)
      return
    }
    const timer = window.setTimeout(() => setArmed(true), ARM_DELAY_MS)
    return () => window.clearTimeout(timer)
  }, [shown])
  return armed
}

export function TwoStepConfirm({
  trigger,
  onConfirm,
  confirmLabel = 'Confirm',
}: {
  /** The first button; `ask` switches to Cancel/Confirm. */
  trigger: (ask: () => void) => ReactNode
  onConfirm: () => Promise<unknown>
  confirmLabel?: string
}) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const armed = useArmed(confirming)
  if (!confirming) return <>{trigger(() => setConfirming(true))}</>
  return (
    <span className="confirm-action">
      {/* Cancel first: it sits where the trigger was, so a double-click's second click cancels. */}
      <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
        Cancel
      </button>
      <button
        type="button"
        className="danger"
        disabled={busy}
        aria-disabled={!armed}
        data-armed={armed}
        onClick={() => {
          if (!armed) return
          setBusy(true)
          void onConfirm().finally(() => {
            setBusy(false)
            setConfirming(false)
          })
        }}
      >
        {busy ? 'Working…' : confirmLabel}
      </button>
    </span>
  )
}

/** The common case: a Delete button, disabled for a role that may only read, then Cancel/Confirm. */
export function ConfirmDelete({ writable, onDelete }: { writable: boolean; onDelete: () => Promise<unknown> }) {
  return (
    <TwoStepConfirm
      onConfirm={onDelete}
      trigger={(ask) => (
        <WriteButton allowed={writable} className="danger-outline" onClick={ask}>
          Delete
        </WriteButton>
      )}
    />
  )
}

/** One line of what a destructive action will lose, e.g. `{label: 'documents', count: 10}`. */
export interface Loss {
  label: string
  /** A number from metadata; `null` when it is not known (said so, never guessed). */
  count: number | null
  /** True when `count` is an estimate (planner statistics, DBSIZE of a live keyspace). */
  estimate?: boolean
}

/**
 * The typed confirmation: a modal dialog titled `title`, listing `losses`, whose confirm button
 * stays disabled until the input equals `name` exactly. Escape or Cancel closes it unchanged.
 */
export function TypedConfirm({
  title,
  name,
  what,
  losses = [],
  confirmLabel,
  onConfirm,
  onCancel,
  children,
  prompt,
}: {
  title: string
  /** What the user must type: the object's name. */
  name: string
  /** The kind of object, in words: "collection", "table", "database", "keys". */
  what: string
  losses?: Loss[]
  confirmLabel: string
  /** Runs the action; a rejection is shown in the dialog and the dialog stays open. */
  onConfirm: () => Promise<unknown>
  onCancel: () => void
  /** Extra explanation under the losses. */
  children?: ReactNode
  /** What to ask instead of "Type the {what} name" (e.g. to type a count). */
  prompt?: ReactNode
}) {
  const [typed, setTyped] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const armed = useArmed(true)
  const input = useRef<HTMLInputElement>(null)
  const titleId = useId()
  useEffect(() => input.current?.focus(), [])
  const matches = typed === name
  const confirm = () => {
    if (!matches || !armed || busy) return
    setBusy(true)
    setError(null)
    onConfirm().then(
      () => setBusy(false),
      (e: unknown) => {
        setBusy(false)
        setError(e instanceof Error ? e.message : String(e))
      },
    )
  }
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && onCancel()}>
      <form
        className="dialog card typed-confirm"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          confirm()
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {losses.length > 0 && (
          <ul className="losses" aria-label="What will be lost">
            {losses.map((loss) => (
              <li key={loss.label}>
                {loss.count === null ? (
                  <>An unknown number of {loss.label}</>
                ) : (
                  <>
                    <strong>
                      {loss.estimate ? 'about ' : ''}
                      {loss.count.toLocaleString()}
                    </strong>{' '}
                    {loss.label}
                  </>
                )}{' '}
                will be lost.
              </li>
            ))}
          </ul>
        )}
        {children}
        <label>
          <span>
            {prompt ?? (
              <>
                Type the {what} name <code>{name}</code> to confirm
              </>
            )}
          </span>
          <input
            ref={input}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-label={`Type ${name} to confirm`}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="buttons confirm-delete">
          <button type="submit" className="danger" disabled={!matches || !armed || busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  )
}
