// Deleting many keys: a typed confirmation that first counts what the pattern matches (a dry run of
// `POST /delete-keys` over the whole keyspace), then deletes in bounded batches on the server.
import { useEffect, useState } from 'react'
import { redisTools, type DeleteKeysReport } from '../api'
import { TypedConfirm } from '../components/ConfirmAction'

export function DeleteKeysDialog({
  projectRef,
  connectionId,
  pattern,
  name,
  what,
  onDeleted,
  onCancel,
}: {
  projectRef: string
  connectionId?: string
  /** The glob of the keys to delete. */
  pattern: string
  /** What the user types to confirm (the branch prefix, or the pattern). */
  name: string
  /** "branch" or "pattern", for the dialog's words. */
  what: string
  onDeleted: (report: DeleteKeysReport) => void
  onCancel: () => void
}) {
  const [preview, setPreview] = useState<DeleteKeysReport | null>(null)
  const [previewError, setPreviewError] = useState<string | null>(null)
  useEffect(() => {
    let alive = true
    redisTools.deleteKeys(projectRef, pattern, true, connectionId).then(
      (r) => alive && setPreview(r),
      (e: unknown) => alive && setPreviewError(e instanceof Error ? e.message : String(e)),
    )
    return () => {
      alive = false
    }
  }, [projectRef, pattern, connectionId])
  return (
    <TypedConfirm
      title={`Delete every key matching ${pattern}?`}
      name={name}
      what={what}
      losses={[{ label: preview?.matched === 1 ? 'key' : 'keys', count: preview ? preview.matched : null }]}
      confirmLabel="Delete keys"
      onConfirm={async () => onDeleted(await redisTools.deleteKeys(projectRef, pattern, false, connectionId))}
      onCancel={onCancel}
    >
      <p className="muted">
        {preview
          ? `Counted in the whole keyspace (${preview.scanned.toLocaleString()} keys scanned). Keys written meanwhile that match are deleted too.`
          : previewError
            ? `The keys could not be counted: ${previewError}`
            : 'Counting the matching keys…'}
      </p>
    </TypedConfirm>
  )
}
