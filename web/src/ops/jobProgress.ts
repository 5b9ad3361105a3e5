// Pure helpers of the job progress bar, kept apart so they are unit-tested without a DOM.
import type { Job, JobState } from '../api'
import { formatCount } from '../format'

/** Done share in 0-1, or null when the total is unknown (an indeterminate bar). */
export function jobFraction(job: Pick<Job, 'state' | 'progress'>): number | null {
  if (job.state === 'succeeded') return 1
  const { done, total } = job.progress
  if (total === null || total <= 0) return null
  return Math.min(1, Math.max(0, done / total))
}

const STATE_WORDS: Record<JobState, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
}

/** The job's state in words, with its progress (`Running: 1,200 of 5,000 keys (24%)`). */
export function jobStatusText(job: Pick<Job, 'state' | 'progress' | 'cancel_requested'>): string {
  const { done, total, unit } = job.progress
  const counted = total !== null ? `${formatCount(done)} of ${formatCount(total)} ${unit}` : `${formatCount(done)} ${unit}`
  const fraction = jobFraction(job)
  const percent = fraction !== null && job.state !== 'succeeded' ? ` (${Math.floor(fraction * 100)}%)` : ''
  const stopping = job.cancel_requested && (job.state === 'queued' || job.state === 'running') ? ', stopping…' : ''
  return `${STATE_WORDS[job.state]}: ${counted}${percent}${stopping}`
}
