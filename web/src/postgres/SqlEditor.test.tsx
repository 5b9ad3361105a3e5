import { act, render } from '@testing-library/react'
import { createRef } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { completionSchema, SqlEditor, type SqlEditorHandle } from './SqlEditor'

describe('SQL editor', () => {
  it('shows the tab text and keeps each tab apart', () => {
    const changed = vi.fn()
    const ref = createRef<SqlEditorHandle>()
    const { container, rerender } = render(<SqlEditor ref={ref} tabId="a" initial="SELECT 1" onChange={changed} onRun={() => {}} />)
    expect(container.querySelector('.cm-content')?.textContent).toBe('SELECT 1')
    act(() => ref.current!.insert(' + 1'))
    expect(changed).toHaveBeenLastCalledWith('a', 'SELECT 1 + 1')
    rerender(<SqlEditor ref={ref} tabId="b" initial="SELECT 2" onChange={changed} onRun={() => {}} />)
    expect(container.querySelector('.cm-content')?.textContent).toBe('SELECT 2')
    // Back to the first tab: its edited state, not its initial text.
    rerender(<SqlEditor ref={ref} tabId="a" initial="SELECT 1" onChange={changed} onRun={() => {}} />)
    expect(container.querySelector('.cm-content')?.textContent).toBe('SELECT 1 + 1')
  })

  it('marks the error range', () => {
    const { container } = render(<SqlEditor tabId="a" initial="SELECT * FORM t" onChange={() => {}} onRun={() => {}} error={{ start: 9, end: 13 }} />)
    expect(container.querySelector('.sql-error')?.textContent).toBe('FORM')
  })

  it('completes from the catalog by schema', () => {
    expect(completionSchema({ public: { people: ['id', 'name'] }, audit: { log: ['at'] } })).toEqual({
      public: { people: ['id', 'name'] },
      audit: { log: ['at'] },
    })
  })
})
