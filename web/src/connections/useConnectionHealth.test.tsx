import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Connection } from '../api'
import { ConnectionDown, type ConnectionHealth } from './useConnectionHealth'

afterEach(cleanup)

const base: Connection = {
  id: 'c1',
  project_id: 'p1',
  database_type: 'redis',
  identifier: 'cache',
  host: '127.0.0.1',
  port: 6390,
  database_name: null,
  username: null,
  has_password: false,
  has_connection_string: false,
  options: {},
  is_primary: true,
  status: 'ACTIVE',
  created_at: '2026-12-02T00:00:00Z',
  updated_at: '2026-12-02T00:00:00Z',
}

function health(connection: Connection): ConnectionHealth {
  return { connection, usable: connection.status !== 'ERROR', reload: vi.fn() }
}

describe('ConnectionDown', () => {
  it('says nothing while the connection works', () => {
    render(<ConnectionDown health={health(base)} />)
    expect(screen.queryByRole('alert')).toBeNull()
  })

  it('shows the reason of a failing connection once, with a way to check again', () => {
    const h = health({ ...base, status: 'ERROR', status_error: 'Connection refused (os error 111)' })
    render(<ConnectionDown health={h} />)
    expect(screen.getByRole('alert').textContent).toContain('cache is not reachable: Connection refused (os error 111)')
    screen.getByRole('button', { name: 'Check again' }).click()
    expect(h.reload).toHaveBeenCalled()
    expect(h.usable).toBe(false)
  })
})
