// A background job followed live: a progress bar fed by the job's event stream (re-opened after a
// break, with a plain read to catch up), its state, Cancel while it runs, then its error or result.
import { useEffect, useState, type ReactNode } from 'react'
import { ApiError, jobEnded, jobs, type Job } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { jobFraction, jobStatusText } from './jobProgress'

/** Wait before re-opening a broken event stream. */
const RETRY_MS = 2000

/** The job `jobId`, kept up to date until it ends (or the component goes). */
export function useJob(projectRef: string, jobId: string): { job: Job | null; error: unknown; setJob: (job: Job) => void } {
  const [job, setJob] = useState<Job | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    const control = new AbortController()
    let timer: number | undefined
    let ended = false
    const take = (j: Job) => {
      if (control.signal.aborted) return
      setJob(j)
      setError(null)
      if (jobEnded(j.state)) ended = true
    }
    const follow = () => {
      jobs
        .events(projectRef, jobId, take, control.signal)
        .then(async () => {
          // The stream ended: read the job once, so a missed `done` still shows.
          if (control.signal.aborted) return
          take(await jobs.get(projectRef, jobId))
          if (!ended) timer = window.setTimeout(follow, RETRY_MS)
        })
        .catch((e: unknown) => {
          if (control.signal.aborted) return
          setError(e)
          // A job that does not exist (or is not ours to see) will not come back.
          if (e instanceof ApiError && e.status >= 400 && e.status < 500) return
          timer = window.setTimeout(follow, RETRY_MS)
        })
    }
    follow()
    return () => {
      control.abort()
      window.clearTimeout(timer)
    }
  }, [projectRef, jobId])
  return { job, error, setJob }
}

/** A progress bar: determinate when the share is known, otherwise an animated stripe. */
export function ProgressBar({ fraction, label }: { fraction: number | null; label: string }) {
  return (
    <div
      className={fraction === null ? 'progress indeterminate' : 'progress'}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
    >
      <div className="progress-fill" style={{ width: fraction === null ? undefined : `${fraction * 100}%` }} />
    </div>
  )
}

/**
 * The job's progress bar, state and Cancel button; once it has succeeded, `result(job)` below.
 * `canCancel` hides Cancel for someone who may not (the server decides in the end).
 */
export function JobProgress({
  projectRef,
  jobId,
  canCancel = true,
  result,
}: {
  projectRef: string
  jobId: string
  canCancel?: boolean
  result?: (job: Job) => ReactNode
}) {
  const { job, error, setJob } = useJob(projectRef, jobId)
  const [cancelError, setCancelError] = useState<unknown>(null)
  const [cancelling, setCancelling] = useState(false)
  if (!job) {
    return (
      <div className="job" data-job={jobId} data-state="loading">
        <ProgressBar fraction={null} label="Job progress" />
        <p className="muted">Starting…</p>
        <ErrorMessage error={error} />
      </div>
    )
  }
  const running = !jobEnded(job.state)
  const cancel = async () => {
    setCancelling(true)
    setCancelError(null)
    try {
      setJob(await jobs.cancel(projectRef, jobId))
    } catch (e) {
      // 409: it ended meanwhile; the stream brings its final state.
      if (!(e instanceof ApiError && e.status === 409)) setCancelError(e)
    } finally {
      setCancelling(false)
    }
  }
  return (
    <div className="job" data-job={jobId} data-state={job.state}>
      {(running || job.state === 'succeeded') && <ProgressBar fraction={jobFraction(job)} label="Job progress" />}
      <div className="toolbar">
        <span className={`job-state job-${job.state}`} role="status">
          {jobStatusText(job)}
        </span>
        {running && canCancel && (
          <button type="button" onClick={() => void cancel()} disabled={cancelling || job.cancel_requested}>
            {job.cancel_requested ? 'Stopping…' : 'Cancel'}
          </button>
        )}
      </div>
      {job.error && <p className="error">{job.error}</p>}
      <ErrorMessage error={cancelError ?? error} />
      {job.state === 'succeeded' && result?.(job)}
    </div>
  )
}
