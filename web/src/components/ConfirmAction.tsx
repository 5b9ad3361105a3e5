// A destructive action in two clicks: the trigger (a button that may be disabled for the caller's
// role), then "Confirm" or "Cancel". The buttons come back once the action ends, whatever it did;
// the action reports its own errors.
import { useState, type ReactNode } from 'react'
import { WriteButton } from './WriteButton'

export function TwoStepConfirm({
  trigger,
  onConfirm,
}: {
  /** The first button; `ask` switches to Confirm/Cancel. */
  trigger: (ask: () => void) => ReactNode
  onConfirm: () => Promise<unknown>
}) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  if (!confirming) return <>{trigger(() => setConfirming(true))}</>
  return (
    <span className="confirm-action">
      <button
        type="button"
        className="danger"
        disabled={busy}
        onClick={() => {
          setBusy(true)
          void onConfirm().finally(() => {
            setBusy(false)
            setConfirming(false)
          })
        }}
      >
        {busy ? 'Working…' : 'Confirm'}
      </button>
      <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
        Cancel
      </button>
    </span>
  )
}

/** The common case: a Delete button, disabled for a role that may only read, then Confirm/Cancel. */
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
