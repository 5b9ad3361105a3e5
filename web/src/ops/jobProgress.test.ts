import { describe, expect, it } from 'vitest'
import { jobFraction, jobStatusText } from './jobProgress'

const progress = (done: number, total: number | null) => ({ done, total, unit: 'keys' })

describe('job progress', () => {
  it('is a share of the total, capped, or unknown without one', () => {
    expect(jobFraction({ state: 'running', progress: progress(25, 100) })).toBe(0.25)
    expect(jobFraction({ state: 'running', progress: progress(150, 100) })).toBe(1)
    expect(jobFraction({ state: 'running', progress: progress(5, null) })).toBeNull()
    expect(jobFraction({ state: 'running', progress: progress(0, 0) })).toBeNull()
    expect(jobFraction({ state: 'succeeded', progress: progress(3, null) })).toBe(1)
  })

  it('says the state, the counts and a pending cancel', () => {
    expect(jobStatusText({ state: 'running', progress: progress(1200, 5000), cancel_requested: false })).toBe(
      'Running: 1,200 of 5,000 keys (24%)',
    )
    expect(jobStatusText({ state: 'running', progress: progress(7, null), cancel_requested: true })).toBe('Running: 7 keys, stopping…')
    expect(jobStatusText({ state: 'succeeded', progress: progress(10, 10), cancel_requested: false })).toBe('Done: 10 of 10 keys')
  })
})
