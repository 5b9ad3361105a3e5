import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { documentsOf } from './ejson'
import { DocumentTable } from './DocumentTable'

afterEach(cleanup)

const docs = documentsOf(
  '[{"_id":1,"n":2,"note":"a rather long note that needs a wide column","tags":["x","y"]},{"_id":2,"n":30,"note":"short"}]',
)

function columns(): number[] {
  const head = document.querySelector('.dt-head') as HTMLElement
  return head.style.gridTemplateColumns.split(' ').map((w) => parseInt(w, 10))
}

describe('DocumentTable', () => {
  it('sizes columns to their content, full values in tooltips', () => {
    render(<DocumentTable documents={docs} offset={0} actions={() => null} />)
    const [, , id, n, note] = columns()
    expect(note!).toBeGreaterThan(n!)
    expect(note!).toBeGreaterThan(id!)
    expect(screen.getByText('"a rather long note that needs a wide column"').getAttribute('title')).toMatch(/^string: "a rather long/)
  })

  it('opens a nested value in the field tree, and a column can be dragged wider', () => {
    const inspect = vi.fn()
    render(<DocumentTable documents={docs} offset={0} actions={() => null} onInspect={inspect} />)
    fireEvent.click(screen.getByRole('button', { name: 'Expand tags' }))
    expect(inspect).toHaveBeenCalledWith(docs[0], 'tags')
    const before = columns()[3]!
    fireEvent.pointerDown(screen.getByRole('separator', { name: 'Resize the column n' }), { clientX: 100 })
    fireEvent.pointerMove(window, { clientX: 160 })
    fireEvent.pointerUp(window)
    expect(columns()[3]).toBe(before + 60)
  })
})
