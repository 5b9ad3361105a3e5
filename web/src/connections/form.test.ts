import { describe, expect, it } from 'vitest'
import type { Connection } from '../api'
import { canManageConnections } from './AdminButton'
import { describeReport } from './TestOutcome'
import {
  createBody,
  emptyForm,
  formFromConnection,
  switchEngine,
  testRequest,
  updateBody,
  type ConnectionForm,
} from './form'

function form(patch: Partial<ConnectionForm> = {}, values: ConnectionForm['values'] = {}): ConnectionForm {
  const f: ConnectionForm = { ...emptyForm('redis'), identifier: 'cache', host: '127.0.0.1', ...patch }
  return { ...f, values: { ...f.values, ...values } }
}

/** The form switched to another engine, with some of its own fields typed. */
function other(engine: ConnectionForm['engine'], patch: Partial<ConnectionForm>, values: ConnectionForm['values']): ConnectionForm {
  const f = switchEngine(form(), engine)
  return { ...f, ...patch, values: { ...f.values, ...values } }
}

const saved: Connection = {
  id: '0190a0a0-0000-7000-8000-000000000001',
  project_id: '0190a0a0-0000-7000-8000-000000000002',
  database_type: 'postgres',
  identifier: 'main-db',
  host: 'db.internal',
  port: 5432,
  database_name: 'app',
  username: 'app_user',
  has_password: true,
  has_connection_string: false,
  options: { ssl: true, pool_size: 5, lock_timeout: 300 },
  is_primary: true,
  status: 'ACTIVE',
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
}

describe('createBody', () => {
  it('sends the fields of a Redis connection, with the db option and no empty ones', () => {
    expect(createBody(form({ port: '6380', tls: true }, { db: '2' }))).toEqual({
      ok: true,
      value: { identifier: 'cache', host: '127.0.0.1', port: 6380, options: { db: 2, tls: true } },
    })
  })

  it('sends allow_server_commands only when an admin ticks it', () => {
    expect(createBody(form({}, { allow_server_commands: true }))).toEqual({
      ok: true,
      value: { identifier: 'cache', host: '127.0.0.1', port: 6379, options: { allow_server_commands: true } },
    })
  })

  it('sends a connection string instead of the address fields', () => {
    const built = createBody(form({ mode: 'url', connectionString: ' redis://:pw@10.0.0.1:6379/3 ', username: 'ignored' }))
    expect(built).toEqual({ ok: true, value: { identifier: 'cache', connection_string: 'redis://:pw@10.0.0.1:6379/3' } })
  })

  it('requires a connection string in that mode', () => {
    const built = createBody(form({ mode: 'url' }))
    expect(built.ok).toBe(false)
    if (!built.ok) expect(built.error).toMatch(/Paste a connection string/)
  })

  it('sends PostgreSQL and MongoDB fields and options under their own names', () => {
    const pg = createBody(
      other(
        'postgres',
        { databaseName: 'postgres', username: 'postgres', password: 's3cret', tls: true, isPrimary: true },
        { ssl_root_cert: '-----BEGIN CERTIFICATE-----', statement_timeout: '1000', lock_timeout: '300' },
      ),
    )
    expect(pg).toEqual({
      ok: true,
      value: {
        identifier: 'cache',
        host: '127.0.0.1',
        port: 5432,
        database_name: 'postgres',
        username: 'postgres',
        password: 's3cret',
        options: { ssl: true, ssl_root_cert: '-----BEGIN CERTIFICATE-----', statement_timeout: 1000, lock_timeout: 300 },
        is_primary: true,
      },
    })
    const mongo = createBody(other('mongodb', {}, { replica_set: 'rs0', direct_connection: 'false', pool_size: '20' }))
    expect(mongo).toEqual({
      ok: true,
      value: {
        identifier: 'cache',
        host: '127.0.0.1',
        port: 27017,
        options: { replica_set: 'rs0', direct_connection: false, pool_size: 20 },
      },
    })
  })

  it('builds Redis cluster and sentinel options', () => {
    expect(createBody(form({}, { topology: 'cluster' }))).toMatchObject({ ok: true, value: { options: { cluster: true } } })
    expect(
      createBody(form({}, { topology: 'sentinel', sentinel_master: 'mymaster', sentinels: '10.0.0.1:26379, 10.0.0.2:26380' })),
    ).toMatchObject({
      ok: true,
      value: {
        options: {
          sentinel: {
            master: 'mymaster',
            sentinels: [
              { host: '10.0.0.1', port: 26379 },
              { host: '10.0.0.2', port: 26380 },
            ],
          },
        },
      },
    })
    expect(createBody(form({}, { topology: 'sentinel', sentinel_master: 'm', sentinels: 'nohost' })).ok).toBe(false)
    expect(createBody(form({}, { topology: 'sentinel', sentinels: 'a:1' })).ok).toBe(false)
  })

  it('refuses an empty or malformed identifier before sending', () => {
    for (const identifier of ['', '   ', 'a b', 'x'.repeat(65)]) {
      const built = createBody(form({ identifier }))
      expect(built.ok, identifier).toBe(false)
    }
    expect(createBody(form({ identifier: '' }))).toEqual({
      ok: false,
      error: 'Give the connection an identifier, such as cache or main-db.',
    })
    expect(createBody(form({ identifier: ' main-db.v2_x ' }))).toMatchObject({ ok: true, value: { identifier: 'main-db.v2_x' } })
  })

  it('accepts ports 1 to 65535 only, and leaves an empty one to the server', () => {
    for (const port of ['0', '65536', '-1', '12.5', 'abc', '1e3']) {
      const built = createBody(form({ port }))
      expect(built, port).toEqual({ ok: false, error: 'The port must be a whole number between 1 and 65535.' })
    }
    expect(createBody(form({ port: '1' }))).toMatchObject({ ok: true, value: { port: 1 } })
    expect(createBody(form({ port: '65535' }))).toMatchObject({ ok: true, value: { port: 65535 } })
    const empty = createBody(form({ port: '' }))
    expect(empty.ok && 'port' in empty.value).toBe(false)
  })

  it('requires a host and whole-number options', () => {
    expect(createBody(form({ host: ' ' })).ok).toBe(false)
    expect(createBody(form({ connectTimeoutMs: '1.5' }))).toEqual({ ok: false, error: 'The connect timeout must be a whole number.' })
  })
})

describe('updateBody', () => {
  it('sends nothing for an untouched form, so the password and everything else are kept', () => {
    expect(updateBody(formFromConnection(saved), saved)).toEqual({ ok: true, value: {} })
  })

  it('prefills everything but the password', () => {
    const f = formFromConnection(saved)
    expect(f).toMatchObject({ identifier: 'main-db', host: 'db.internal', port: '5432', databaseName: 'app', tls: true, values: { pool_size: '5', lock_timeout: '300' } })
    expect(f.password).toBe('')
  })

  it('sends only what changed: a new identifier alone leaves host and port out', () => {
    expect(updateBody({ ...formFromConnection(saved), identifier: 'renamed' }, saved)).toEqual({
      ok: true,
      value: { identifier: 'renamed' },
    })
    expect(updateBody({ ...formFromConnection(saved), port: '6543', tls: false }, saved)).toEqual({
      ok: true,
      value: { port: 6543, options: { pool_size: 5, lock_timeout: 300 } },
    })
  })

  it('keeps, sets or clears the password', () => {
    const f = formFromConnection(saved)
    const keep = updateBody(f, saved)
    expect(keep.ok && 'password' in keep.value).toBe(false)
    expect(updateBody({ ...f, password: 'new-one' }, saved)).toEqual({ ok: true, value: { password: 'new-one' } })
    expect(updateBody({ ...f, clearPassword: true }, saved)).toEqual({ ok: true, value: { password: null } })
    // Clearing wins over a typed password.
    expect(updateBody({ ...f, password: 'typed', clearPassword: true }, saved)).toEqual({ ok: true, value: { password: null } })
  })

  it('says a saved user name cannot be removed instead of silently keeping it', () => {
    const built = updateBody({ ...formFromConnection(saved), username: '' }, saved)
    expect(built.ok).toBe(false)
    if (!built.ok) expect(built.error).toMatch(/user name cannot be removed/)
  })

  it('replaces the stored connection string when one is pasted', () => {
    const fromUrl = { ...saved, has_connection_string: true }
    expect(updateBody({ ...formFromConnection(fromUrl), mode: 'url', connectionString: 'postgres://h/db' }, fromUrl)).toEqual({
      ok: true,
      value: { connection_string: 'postgres://h/db' },
    })
  })

  it('validates the identifier and port like a new connection', () => {
    expect(updateBody({ ...formFromConnection(saved), identifier: '' }, saved).ok).toBe(false)
    expect(updateBody({ ...formFromConnection(saved), port: '70000' }, saved).ok).toBe(false)
  })
})

describe('testRequest', () => {
  it('tests a new form unsaved, without the identifier', () => {
    expect(testRequest(form({ password: 'pw' }))).toEqual({
      ok: true,
      value: { kind: 'unsaved', body: { host: '127.0.0.1', port: 6379, password: 'pw' }, note: null },
    })
  })

  it('tests the saved connection when only the name or the primary flag changed', () => {
    expect(testRequest({ ...formFromConnection(saved), identifier: 'renamed', isPrimary: false }, saved)).toEqual({
      ok: true,
      value: { kind: 'saved', id: saved.id },
    })
  })

  it('tests changed settings unsaved, saying the stored password is not part of it', () => {
    const built = testRequest({ ...formFromConnection(saved), host: 'other.internal' }, saved)
    expect(built.ok && built.value.kind === 'unsaved' && built.value.note).toMatch(/stored password never leaves the server/)
    const typed = testRequest({ ...formFromConnection(saved), host: 'other.internal', password: 'pw' }, saved)
    expect(typed).toMatchObject({ ok: true, value: { kind: 'unsaved', body: { password: 'pw' }, note: null } })
  })
})

describe('describeReport', () => {
  it('shows the version and latency of a success, and the reason of a failure', () => {
    expect(describeReport('redis', { success: true, version: '7.2.4', latency_ms: 0.42, mode: 'standalone' })).toBe(
      'Connected to Redis 7.2.4 in 0.42 ms (standalone).',
    )
    expect(describeReport('postgres', { success: false, error: 'connection refused' })).toBe('Connection failed: connection refused')
  })
})

describe('canManageConnections', () => {
  it('is for admins and owners', () => {
    expect(['viewer', 'developer', 'admin', 'owner'].map((r) => canManageConnections(r as 'viewer'))).toEqual([false, false, true, true])
    expect(canManageConnections(undefined)).toBe(false)
  })
})
