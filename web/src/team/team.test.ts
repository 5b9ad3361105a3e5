// The team helpers of the client: role order, the audit export's address, and which database a
// connection names on the project page.
import { describe, expect, it } from 'vitest'
import { roleAtLeast, team, type Connection } from '../api'
import { databaseLabel } from '../pages/ProjectHome'

describe('team helpers', () => {
  it('orders roles viewer < developer < admin < owner', () => {
    expect(roleAtLeast('admin', 'developer')).toBe(true)
    expect(roleAtLeast('developer', 'admin')).toBe(false)
    expect(roleAtLeast('owner', 'owner')).toBe(true)
    expect(roleAtLeast(undefined, 'viewer')).toBe(false)
  })

  it('exports every record matching the filters, without the page cursor', () => {
    const href = team.auditExportHref('my ref', { target: 'a@b.c', outcome: 'ok', before: 10, limit: 50 }, 'csv')
    const url = new URL(href, 'http://x')
    expect(url.pathname).toBe('/api/platform/projects/my%20ref/audit')
    expect(Object.fromEntries(url.searchParams)).toEqual({ target: 'a@b.c', outcome: 'ok', format: 'csv' })
  })

  it('names the database of each connection so two on one server differ', () => {
    const base = { database_name: null, options: {} } as unknown as Connection
    expect(databaseLabel({ ...base, database_type: 'redis' })).toBe('db 0')
    expect(databaseLabel({ ...base, database_type: 'redis', options: { db: 3 } })).toBe('db 3')
    expect(databaseLabel({ ...base, database_type: 'postgres', database_name: 'app' })).toBe('/ app')
    expect(databaseLabel({ ...base, database_type: 'mongodb' })).toBeNull()
  })
})
