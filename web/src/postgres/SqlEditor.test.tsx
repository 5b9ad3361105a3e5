import { fireEvent, render } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { SqlEditor } from './SqlEditor'

describe('SQL editor', () => {
  it('highlights under the textarea and marks the error range', () => {
    const { container } = render(
      <SqlEditor value="SELECT * FORM t" onChange={() => {}} onRun={() => {}} error={{ start: 9, end: 13 }} />,
    )
    expect(container.querySelector('.tok-keyword')?.textContent).toBe('SELECT')
    expect(container.querySelector('mark.sql-error')?.textContent).toBe('FORM')
    expect(container.querySelector('pre')?.textContent).toBe('SELECT * FORM t\n')
  })

  it('runs on Ctrl+Enter and on Cmd+Enter, not on Enter', () => {
    const run = vi.fn()
    const { container } = render(<SqlEditor value="SELECT 1" onChange={() => {}} onRun={run} />)
    const area = container.querySelector('textarea')!
    fireEvent.keyDown(area, { key: 'Enter' })
    expect(run).not.toHaveBeenCalled()
    fireEvent.keyDown(area, { key: 'Enter', ctrlKey: true })
    fireEvent.keyDown(area, { key: 'Enter', metaKey: true })
    expect(run).toHaveBeenCalledTimes(2)
  })
})
