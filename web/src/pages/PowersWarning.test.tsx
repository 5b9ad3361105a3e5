import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { Connection } from '../api'
import { PowersWarning } from './ProjectHome'

afterEach(cleanup)

const base: Connection = {
  id: '0190a0a0-0000-7000-8000-000000000001',
  project_id: '0190a0a0-0000-7000-8000-000000000002',
  database_type: 'postgres',
  identifier: 'main',
  host: '127.0.0.1',
  port: 5432,
  database_name: 'app',
  username: 'postgres',
  has_password: false,
  has_connection_string: false,
  options: {},
  is_primary: true,
  status: 'ACTIVE',
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
}

describe('PowersWarning', () => {
  it('warns about a superuser login and says viewers are refused', () => {
    const privileges = { host_powers: ['superuser'], viewer_host_powers: null, viewer_sql: 'refused' as const }
    render(<PowersWarning connection={{ ...base, privileges }} />)
    const note = screen.getByRole('note')
    expect(note.textContent).toContain('superuser')
    expect(note.getAttribute('title')).toContain('viewer credentials')
  })

  it('says nothing for a login without host powers', () => {
    const privileges = { host_powers: [], viewer_host_powers: null, viewer_sql: 'connection_login' as const }
    render(<PowersWarning connection={{ ...base, privileges }} />)
    expect(screen.queryByRole('note')).toBeNull()
  })
})
