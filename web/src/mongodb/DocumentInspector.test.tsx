import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { documentsOf } from './ejson'
import { DocumentInspector } from './DocumentInspector'

afterEach(cleanup)

const [doc] = documentsOf(
  '[{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"visits":9007199254740993,"address":{"city":"London","geo":[1.5,2]},"a.b":1}]',
)

function row(path: string): HTMLElement {
  const li = document.querySelector(`[data-path="${path}"]`)
  if (!(li instanceof HTMLElement)) throw new Error(`no row ${path}`)
  return li.querySelector('.tree-row') as HTMLElement
}

describe('DocumentInspector', () => {
  it('opens nested values one level at a time and sets one field with its type', async () => {
    const setField = vi.fn().mockResolvedValue(undefined)
    render(<DocumentInspector doc={doc!} writable setField={setField} onClose={() => {}} />)
    // Closed levels are not rendered.
    expect(document.querySelector('[data-path="address.city"]')).toBeNull()
    fireEvent.click(screen.getByRole('button', { name: 'Expand address' }))
    expect(document.querySelector('[data-path="address.geo.0"]')).toBeNull()
    fireEvent.click(within(row('address.city')).getByRole('button', { name: 'Edit' }))
    fireEvent.change(screen.getByRole('textbox', { name: 'New value' }), { target: { value: 'Paris' } })
    fireEvent.click(screen.getByRole('button', { name: 'Set' }))
    await vi.waitFor(() => expect(setField).toHaveBeenCalledWith('address.city', '"Paris"'))

    // A 64-bit integer starts as Int64 with all its digits, and stays one.
    fireEvent.click(within(row('visits')).getByRole('button', { name: 'Edit' }))
    expect((screen.getByRole('combobox', { name: 'Type' }) as HTMLSelectElement).value).toBe('Int64')
    expect((screen.getByRole('textbox', { name: 'New value' }) as HTMLInputElement).value).toBe('9007199254740993')
    fireEvent.click(screen.getByRole('button', { name: 'Set' }))
    await vi.waitFor(() => expect(setField).toHaveBeenLastCalledWith('visits', '{"$numberLong":"9007199254740993"}'))
  })

  it('cannot set the _id or a field whose name has a dot', () => {
    render(<DocumentInspector doc={doc!} writable setField={vi.fn()} onClose={() => {}} />)
    expect((within(row('_id')).getByRole('button', { name: 'Edit' }) as HTMLButtonElement).disabled).toBe(true)
    expect((within(row('a.b')).getByRole('button', { name: 'Edit' }) as HTMLButtonElement).disabled).toBe(true)
  })

  it('is read-only for a viewer', () => {
    render(<DocumentInspector doc={doc!} writable={false} setField={vi.fn()} onClose={() => {}} />)
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull()
  })
})
