import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, type Connection } from '../api'
import { AdminButton } from './AdminButton'
import { ConnectionForm } from './ConnectionForm'

afterEach(cleanup)

const saved: Connection = {
  id: '0190a0a0-0000-7000-8000-000000000001',
  project_id: '0190a0a0-0000-7000-8000-000000000002',
  database_type: 'redis',
  identifier: 'cache',
  host: '127.0.0.1',
  port: 6379,
  database_name: null,
  username: null,
  has_password: true,
  has_connection_string: false,
  options: {},
  is_primary: true,
  status: 'ACTIVE',
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
}

function field<T extends HTMLElement = HTMLInputElement>(name: string): T {
  const el = document.querySelector<T>(`[name="${name}"]`)
  if (!el) throw new Error(`no field ${name}`)
  return el
}

function fill(name: string, value: string): void {
  fireEvent.change(field(name), { target: { value } })
}

describe('ConnectionForm', () => {
  it('tests before saving, then creates with the typed settings', async () => {
    const test = vi.fn().mockResolvedValue({ success: true, version: '7.2.4', latency_ms: 0.3, mode: 'standalone' })
    const save = vi.fn().mockResolvedValue(saved)
    const onSaved = vi.fn()
    render(<ConnectionForm save={save} test={test} onSaved={onSaved} onCancel={() => {}} />)
    fill('identifier', 'cache')
    fill('host', '127.0.0.1')
    fill('port', '6380')
    fireEvent.click(screen.getByRole('button', { name: 'Test connection' }))
    expect((await screen.findByRole('status')).textContent).toBe('Connected to Redis 7.2.4 in 0.3 ms (standalone).')
    expect(test).toHaveBeenCalledWith('redis', { kind: 'unsaved', body: { host: '127.0.0.1', port: 6380 }, note: null })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await vi.waitFor(() => expect(onSaved).toHaveBeenCalledWith(saved))
    expect(save).toHaveBeenCalledWith('redis', { identifier: 'cache', host: '127.0.0.1', port: 6380 })
  })

  it('refuses a bad port without calling the server', async () => {
    const save = vi.fn()
    render(<ConnectionForm save={save} test={vi.fn()} onSaved={() => {}} onCancel={() => {}} />)
    fill('identifier', 'cache')
    fill('host', 'h')
    fill('port', '70000')
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/between 1 and 65535/)
    expect(save).not.toHaveBeenCalled()
  })

  it("shows the server's 400 message readably and stays open", async () => {
    const save = vi.fn().mockRejectedValue(new ApiError(400, 'VALIDATION_ERROR', 'invalid options for redis: options.db must be between 0 and 15, got 16'))
    const onSaved = vi.fn()
    render(<ConnectionForm save={save} test={vi.fn()} onSaved={onSaved} onCancel={() => {}} />)
    fill('identifier', 'cache')
    fill('host', 'h')
    fill('db', '16')
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect((await screen.findByRole('alert')).textContent).toBe('invalid options for redis: options.db must be between 0 and 15, got 16')
    expect(onSaved).not.toHaveBeenCalled()
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', false)
  })

  it('edits with an empty write-only password field and an explicit Clear password', async () => {
    const save = vi.fn().mockResolvedValue(saved)
    render(<ConnectionForm original={saved} save={save} test={vi.fn()} onSaved={() => {}} onCancel={() => {}} />)
    const password = field('password')
    expect(password.value).toBe('')
    expect(password.type).toBe('password')
    expect(password.getAttribute('autocomplete')).toBe('new-password')
    expect(password.placeholder).toBe('unchanged')
    expect(field('identifier').value).toBe('cache')
    fill('identifier', 'cache-2')
    fireEvent.click(field('clear_password'))
    expect(field('password').disabled).toBe(true)
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await vi.waitFor(() => expect(save).toHaveBeenCalledWith('redis', { identifier: 'cache-2', password: null }))
  })

  it('tests the saved connection when only the identifier changed', async () => {
    const test = vi.fn().mockResolvedValue({ success: false, error: 'Connection refused (os error 111)' })
    render(<ConnectionForm original={saved} save={vi.fn()} test={test} onSaved={() => {}} onCancel={() => {}} />)
    fill('identifier', 'renamed')
    fireEvent.click(screen.getByRole('button', { name: 'Test connection' }))
    expect((await screen.findByRole('alert')).textContent).toBe('Connection failed: Connection refused (os error 111)')
    expect(test).toHaveBeenCalledWith('redis', { kind: 'saved', id: saved.id })
  })

  it('offers the options of the chosen engine only', () => {
    render(<ConnectionForm save={vi.fn()} test={vi.fn()} onSaved={() => {}} onCancel={() => {}} />)
    expect(document.querySelector('[name="db"]')).not.toBeNull()
    fill('engine', 'postgres')
    expect(document.querySelector('[name="db"]')).toBeNull()
    expect(field('port').value).toBe('5432')
    expect(document.querySelector('[name="database_name"]')).not.toBeNull()
    fill('engine', 'mongodb')
    expect(document.querySelector('[name="replica_set"]')).not.toBeNull()
    expect(field('port').value).toBe('27017')
  })
})

describe('AdminButton', () => {
  it('is disabled with a tooltip for developers and viewers', () => {
    render(<AdminButton role="developer">Edit</AdminButton>)
    const button = screen.getByRole('button', { name: 'Edit' })
    expect(button).toHaveProperty('disabled', true)
    expect(button.title).toBe('Only admins and owners manage connections; your role on this project is developer.')
    cleanup()
    render(<AdminButton role="owner">Edit</AdminButton>)
    expect(screen.getByRole('button', { name: 'Edit' })).toHaveProperty('disabled', false)
  })
})
