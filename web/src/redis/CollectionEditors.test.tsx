import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { KeyValue } from '../api'
import { HashEditor, ListEditor } from './CollectionEditors'

afterEach(cleanup)

const meta = { key: 'user:1', key_encoding: 'utf8', ttl: -1, size: 80, encoding: 'listpack', value_encoding: 'utf8' } as const
const hash: Extract<KeyValue, { type: 'hash' }> = { ...meta, type: 'hash', length: 2, fields: { name: 'Ada', plan: 'pro' }, cursor: '0' }

/** Clicks a quick Confirm once it is armed (it ignores clicks for a moment after it appears). */
async function confirmIn(el: HTMLElement): Promise<void> {
  const button = within(el).getByRole('button', { name: 'Confirm' })
  await vi.waitFor(() => expect(button.dataset.armed).toBe('true'), { timeout: 2000 })
  fireEvent.click(button)
}

function row(attr: string, value: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`tr[${attr}="${value}"]`)
  if (!el) throw new Error(`no row ${value}`)
  return el
}

describe('HashEditor', () => {
  it('edits one field in place and deletes another after confirming', async () => {
    const apply = vi.fn().mockResolvedValue(true)
    render(<HashEditor v={hash} writable apply={apply} invalid={() => {}} />)
    fireEvent.click(within(row('data-field', 'name')).getByRole('button', { name: 'Edit' }))
    fireEvent.change(screen.getByRole('textbox', { name: 'Value of name' }), { target: { value: 'Ada Lovelace' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await vi.waitFor(() => expect(apply).toHaveBeenCalledWith({ set: { name: 'Ada Lovelace' } }))
    await vi.waitFor(() => expect(screen.queryByRole('button', { name: 'Save' })).toBeNull())

    fireEvent.click(within(row('data-field', 'plan')).getByRole('button', { name: 'Delete' }))
    expect(apply).toHaveBeenCalledTimes(1)
    await confirmIn(row('data-field', 'plan'))
    await vi.waitFor(() => expect(apply).toHaveBeenLastCalledWith({ remove: ['plan'] }))
  })

  it('keeps the editor open when the save fails', async () => {
    const apply = vi.fn().mockResolvedValue(false)
    render(<HashEditor v={hash} writable apply={apply} invalid={() => {}} />)
    fireEvent.click(within(row('data-field', 'name')).getByRole('button', { name: 'Edit' }))
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await vi.waitFor(() => expect(apply).toHaveBeenCalled())
    await vi.waitFor(() => expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', false))
    expect(screen.getByRole('textbox', { name: 'Value of name' })).toBeDefined()
  })

  it('adds a field', async () => {
    const apply = vi.fn().mockResolvedValue(true)
    render(<HashEditor v={hash} writable apply={apply} invalid={() => {}} />)
    fireEvent.click(screen.getByRole('button', { name: 'Add field' }))
    fireEvent.change(document.querySelector('[name="new-field"]') as HTMLInputElement, { target: { value: 'email' } })
    fireEvent.change(document.querySelector('[name="new-value"]') as HTMLTextAreaElement, { target: { value: 'ada@example.com' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add' }))
    await vi.waitFor(() => expect(apply).toHaveBeenCalledWith({ set: { email: 'ada@example.com' } }))
  })

  it('shows a viewer every write control disabled, with the reason', () => {
    render(<HashEditor v={hash} writable={false} apply={vi.fn()} invalid={() => {}} />)
    for (const name of ['Edit', 'Delete']) {
      for (const button of screen.getAllByRole('button', { name })) {
        expect(button).toHaveProperty('disabled', true)
        expect(button.getAttribute('title')).toMatch(/viewer/)
      }
    }
    expect(screen.getByRole('button', { name: 'Add field' })).toHaveProperty('disabled', true)
  })
})

describe('ListEditor', () => {
  it('deletes exactly the element at its index', async () => {
    const apply = vi.fn().mockResolvedValue(true)
    const list: KeyValue = { ...meta, type: 'list', length: 3, values: ['a', 'b', 'a'], start: 0, stop: 199 }
    render(<ListEditor v={list} writable apply={apply} invalid={() => {}} />)
    fireEvent.click(within(row('data-index', '2')).getByRole('button', { name: 'Delete' }))
    await confirmIn(row('data-index', '2'))
    await vi.waitFor(() => expect(apply).toHaveBeenCalled())
    const body = apply.mock.calls[0]?.[0] as { set_index: { index: number; value: string }; remove: string[] }
    expect(body.set_index.index).toBe(2)
    expect(body.remove).toEqual([body.set_index.value])
  })
})
