// A MongoDB error as a sentence: the server's message, plus MongoDB's error code when it sent one
// (QUERY_ERROR details), so "unknown operator" and friends can be looked up.
import { ApiError } from '../api'
import { errorText } from '../components/ErrorMessage'

function mongoCode(error: unknown): number | null {
  if (!(error instanceof ApiError) || error.code !== 'QUERY_ERROR') return null
  const details = error.details
  if (!details || typeof details !== 'object') return null
  const code = (details as Record<string, unknown>).code
  return typeof code === 'number' ? code : null
}

export function MongoError({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (error === null || error === undefined) return null
  const code = mongoCode(error)
  return (
    <div className="error" role="alert">
      <span>
        {code !== null && <strong>MongoDB: </strong>}
        {errorText(error)}
        {code !== null && <span className="badge mongo-code">code {code}</span>}
      </span>
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  )
}
