// A server or network error as a sentence, never raw JSON.
import { ApiError } from '../api'

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Not allowed: ${error.message}`
    return error.message
  }
  if (error instanceof Error) return error.message
  return 'Something went wrong.'
}

export function ErrorMessage({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (error === null || error === undefined) return null
  return (
    <div className="error" role="alert">
      <span>{errorText(error)}</span>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  )
}
