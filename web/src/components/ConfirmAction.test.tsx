import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfirmDelete, TypedConfirm } from './ConfirmAction'

afterEach(cleanup)

describe('ConfirmDelete', () => {
  it('ignores a double-click: the second click lands on Cancel, and Confirm is not armed yet', () => {
    const onDelete = vi.fn().mockResolvedValue(undefined)
    render(<ConfirmDelete writable onDelete={onDelete} />)
    const trigger = screen.getByRole('button', { name: 'Delete' })
    fireEvent.click(trigger)
    // The button now at the trigger's place is Cancel.
    const first = screen.getAllByRole('button')[0]
    expect(first?.textContent).toBe('Cancel')
    fireEvent.click(screen.getByRole('button', { name: 'Confirm' }))
    expect(onDelete).not.toHaveBeenCalled()
  })

  it('deletes once Confirm is armed', async () => {
    const onDelete = vi.fn().mockResolvedValue(undefined)
    render(<ConfirmDelete writable onDelete={onDelete} />)
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }))
    const confirm = screen.getByRole('button', { name: 'Confirm' })
    await vi.waitFor(() => expect(confirm.dataset.armed).toBe('true'), { timeout: 2000 })
    fireEvent.click(confirm)
    expect(onDelete).toHaveBeenCalledTimes(1)
  })
})

describe('TypedConfirm', () => {
  it('says what will be lost and confirms only after the exact name is typed', async () => {
    const onConfirm = vi.fn().mockResolvedValue(undefined)
    render(
      <TypedConfirm
        title="Drop collection orders"
        name="orders"
        what="collection"
        losses={[{ label: 'documents', count: 10 }]}
        confirmLabel="Drop collection"
        onConfirm={onConfirm}
        onCancel={() => {}}
      />,
    )
    expect(screen.getByRole('list', { name: 'What will be lost' }).textContent).toContain('10 documents will be lost')
    const button = screen.getByRole('button', { name: 'Drop collection' })
    expect(button).toHaveProperty('disabled', true)
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 'order' } })
    expect(button).toHaveProperty('disabled', true)
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 'orders' } })
    await vi.waitFor(() => expect(button).toHaveProperty('disabled', false), { timeout: 2000 })
    fireEvent.click(button)
    expect(onConfirm).toHaveBeenCalledTimes(1)
  })

  it('keeps the dialog open with the error when the action fails', async () => {
    render(
      <TypedConfirm
        title="Drop table t"
        name="t"
        what="table"
        confirmLabel="Drop table"
        onConfirm={() => Promise.reject(new Error('permission denied'))}
        onCancel={() => {}}
      />,
    )
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 't' } })
    const button = screen.getByRole('button', { name: 'Drop table' })
    await vi.waitFor(() => expect(button).toHaveProperty('disabled', false), { timeout: 2000 })
    fireEvent.click(button)
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toBe('permission denied'))
  })
})
