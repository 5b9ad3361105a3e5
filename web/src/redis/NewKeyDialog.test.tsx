import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, type KeyValue } from '../api'
import { NewKeyDialog } from './NewKeyDialog'

afterEach(cleanup)

const created: KeyValue = {
  key: 'test:key',
  key_encoding: 'utf8',
  type: 'string',
  ttl: 60,
  size: 56,
  encoding: 'embstr',
  value_encoding: 'utf8',
  length: 10,
  value: 'test value',
  truncated: false,
}

function fill(name: string, value: string): void {
  const input = document.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)
  if (!input) throw new Error(`no field ${name}`)
  fireEvent.change(input, { target: { value } })
}

describe('NewKeyDialog', () => {
  it('creates a string key with a TTL', async () => {
    const create = vi.fn().mockResolvedValue(created)
    const onCreated = vi.fn()
    render(<NewKeyDialog create={create} onCreated={onCreated} onCancel={() => {}} />)
    fill('key', 'test:key')
    fill('value', 'test value')
    fill('ttl', '60')
    fireEvent.click(screen.getByRole('button', { name: 'Create' }))
    await vi.waitFor(() => expect(onCreated).toHaveBeenCalledWith(created))
    expect(create).toHaveBeenCalledWith('test:key', { type: 'string', value: 'test value' }, 60)
  })

  it('shapes a hash and a sorted set', async () => {
    const create = vi.fn().mockResolvedValue(created)
    render(<NewKeyDialog create={create} onCreated={() => {}} onCancel={() => {}} />)
    fill('key', 'h')
    fill('type', 'hash')
    fill('field', 'name')
    fill('value', 'Ada')
    fireEvent.click(screen.getByRole('button', { name: 'Create' }))
    await vi.waitFor(() => expect(create).toHaveBeenCalledWith('h', { type: 'hash', value: { name: 'Ada' } }, undefined))

    cleanup()
    render(<NewKeyDialog create={create} onCreated={() => {}} onCancel={() => {}} />)
    fill('key', 'z')
    fill('type', 'zset')
    fill('value', 'alice')
    fill('score', '2.5')
    fireEvent.click(screen.getByRole('button', { name: 'Create' }))
    await vi.waitFor(() =>
      expect(create).toHaveBeenLastCalledWith('z', { type: 'zset', value: [{ member: 'alice', score: 2.5 }] }, undefined),
    )
  })

  it("shows the server's message and stays open when creation fails", async () => {
    const create = vi.fn().mockRejectedValue(new ApiError(409, 'CONFLICT', 'the key already exists (nx)'))
    const onCreated = vi.fn()
    render(<NewKeyDialog create={create} onCreated={onCreated} onCancel={() => {}} />)
    fill('key', 'test:key')
    fireEvent.click(screen.getByRole('button', { name: 'Create' }))
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'the key already exists (nx)')
    expect(onCreated).not.toHaveBeenCalled()
    expect(screen.getByRole('button', { name: 'Create' })).toHaveProperty('disabled', false)
  })

  it('refuses a TTL that is not a positive whole number without calling the server', async () => {
    const create = vi.fn()
    render(<NewKeyDialog create={create} onCreated={() => {}} onCancel={() => {}} />)
    fill('key', 'k')
    fill('ttl', '-5')
    fireEvent.click(screen.getByRole('button', { name: 'Create' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/whole number of seconds/)
    expect(create).not.toHaveBeenCalled()
  })
})
