// Deleting many keys: a dry run counts what the pattern matches over the whole keyspace (and answers
// a confirmation bound to this user, connection and pattern); the user types that count to confirm;
// the deletion then runs on the server as a job, followed here until it ends.
import { useEffect, useState } from 'react'
import { jobEnded, jobs, redisTools, type BulkDryRun, type Job } from '../api'
import { TypedConfirm } from '../components/ConfirmAction'

export function DeleteKeysDialog({
  projectRef,
  connectionId,
  pattern,
  what,
  onDeleted,
  onCancel,
}: {
  projectRef: string
  connectionId?: string
  /** The glob of the keys to delete. */
  pattern: string
  /** Kept for the callers' wording ("branch" or "pattern"). */
  name?: string
  what: string
  onDeleted: (job: Job) => void
  onCancel: () => void
}) {
  const [preview, setPreview] = useState<BulkDryRun | null>(null)
  const [previewError, setPreviewError] = useState<string | null>(null)
  const [job, setJob] = useState<Job | null>(null)
  useEffect(() => {
    let alive = true
    redisTools.bulkDeleteDryRun(projectRef, pattern, connectionId).then(
      (r) => alive && setPreview(r),
      (e: unknown) => alive && setPreviewError(e instanceof Error ? e.message : String(e)),
    )
    return () => {
      alive = false
    }
  }, [projectRef, pattern, connectionId])

  const run = async () => {
    if (!preview) return
    const started = await redisTools.bulkDelete(projectRef, pattern, preview.confirm, connectionId)
    for (;;) {
      const current = await jobs.get(projectRef, started.job_id)
      setJob(current)
      if (jobEnded(current.state)) {
        if (current.state !== 'succeeded') throw new Error(current.error ?? `the deletion ${current.state}`)
        onDeleted(current)
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }

  const count = preview ? String(preview.count) : '…'
  return (
    <TypedConfirm
      title={`Delete every key matching ${pattern}?`}
      name={preview ? count : '\u0000'}
      what={what}
      losses={[{ label: preview?.count === 1 ? 'key' : 'keys', count: preview ? preview.count : null }]}
      confirmLabel="Delete keys"
      prompt={
        <>
          Type the number of keys <code>{count}</code> to confirm
        </>
      }
      onConfirm={run}
      onCancel={onCancel}
    >
      <p className="muted">
        {job
          ? `Deleting… ${job.progress.done.toLocaleString()} of ${count} keys deleted.`
          : preview
            ? `Counted in the whole keyspace (${preview.scanned.toLocaleString()} keys scanned). Keys written meanwhile that match are deleted too.`
            : previewError
              ? `The keys could not be counted: ${previewError}`
              : 'Counting the matching keys…'}
      </p>
      {preview && preview.sample.length > 0 && (
        <ul className="sample" aria-label="Some of the matching keys">
          {preview.sample.map((key, i) => (
            <li key={i}>
              <code>{typeof key === 'string' ? key : `base64:${key.base64}`}</code>
            </li>
          ))}
        </ul>
      )}
    </TypedConfirm>
  )
}
