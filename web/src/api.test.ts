import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, isSignedIn, keySegment, onUnauthorized, pg, projects, redis, signIn, signOut, sqlErrorDetails, team } from './api'

function reply(status: number, body: unknown, statusText = ''): Response {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return new Response(status === 204 ? null : text, { status, statusText })
}

const fetchMock = vi.fn<typeof fetch>()

beforeEach(() => {
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  signOut()
  sessionStorage.clear()
})

afterEach(() => vi.unstubAllGlobals())

async function signedIn(): Promise<void> {
  const user = { id: 'u1', email: 'a@example.com', is_superuser: false, disabled: false, created_at: '' }
  fetchMock.mockResolvedValueOnce(reply(201, { data: { user, csrf_token: 'csrf-1' } }))
  await signIn('a@example.com', 'pw')
}

describe('api client', () => {
  it('signs in to a cookie session and sends its CSRF token on unsafe calls only', async () => {
    await signedIn()
    const [url, init] = fetchMock.mock.calls[0]!
    expect(url).toBe('/api/auth/session')
    expect(JSON.parse(init!.body as string)).toEqual({ email: 'a@example.com', password: 'pw' })
    expect(isSignedIn()).toBe(true)
    expect(sessionStorage.length).toBe(0)

    fetchMock.mockResolvedValueOnce(reply(200, { data: [{ ref: 'default', role: 'viewer' }] }))
    const list = await projects.list()
    expect(list[0]?.ref).toBe('default')
    const read = fetchMock.mock.calls[1]![1]!
    expect(read.credentials).toBe('same-origin')
    expect((read.headers as Record<string, string>).authorization).toBeUndefined()
    expect((read.headers as Record<string, string>)['x-csrf-token']).toBeUndefined()

    fetchMock.mockResolvedValueOnce(reply(204, ''))
    await team.removeMember('default', 'u2')
    const write = fetchMock.mock.calls[2]![1]!
    expect(write.method).toBe('DELETE')
    expect((write.headers as Record<string, string>)['x-csrf-token']).toBe('csrf-1')
  })

  it('learns a new CSRF token and retries once when another tab signed in again', async () => {
    await signedIn()
    fetchMock.mockResolvedValueOnce(
      reply(403, { error: { message: 'missing or wrong X-CSRF-Token header for this session', code: 'FORBIDDEN' } }),
    )
    const user = { id: 'u1', email: 'a@example.com', is_superuser: false, disabled: false, created_at: '' }
    fetchMock.mockResolvedValueOnce(reply(200, { data: { user, csrf_token: 'csrf-2' } }))
    fetchMock.mockResolvedValueOnce(reply(204, ''))
    await team.revokeToken('default', 't1')
    expect(fetchMock.mock.calls[2]![0]).toBe('/api/auth/session')
    expect((fetchMock.mock.calls[3]![1]!.headers as Record<string, string>)['x-csrf-token']).toBe('csrf-2')
  })

  it('turns the error envelope into an ApiError with the server message', async () => {
    await signedIn()
    fetchMock.mockResolvedValueOnce(
      reply(409, { error: { message: 'the key already exists (nx)', code: 'CONFLICT' } }),
    )
    const error = await redis.create('default', 'k', { type: 'string', value: 'v' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).message).toBe('the key already exists (nx)')
    expect((error as ApiError).code).toBe('CONFLICT')
    expect((error as ApiError).status).toBe(409)
  })

  it('gives a readable message when the body is not JSON', async () => {
    await signedIn()
    fetchMock.mockResolvedValueOnce(reply(502, '<html>bad gateway</html>', 'Bad Gateway'))
    await expect(projects.list()).rejects.toThrow('The server answered 502 Bad Gateway')
  })

  it('does not sign out on a wrong password, but does on a 401 of an authenticated call', async () => {
    const handler = vi.fn()
    onUnauthorized(handler)
    fetchMock.mockResolvedValueOnce(reply(401, { error: { message: 'invalid e-mail or password', code: 'UNAUTHORIZED' } }))
    await expect(signIn('a@example.com', 'nope')).rejects.toThrow('invalid e-mail or password')
    expect(handler).not.toHaveBeenCalled()

    await signedIn()
    localStorage.setItem('switchboard.sql.draft', 'select 1')
    fetchMock.mockResolvedValueOnce(reply(401, { error: { message: 'token expired', code: 'UNAUTHORIZED' } }))
    await expect(projects.list()).rejects.toThrow('token expired')
    expect(handler).toHaveBeenCalledTimes(1)
    expect(isSignedIn()).toBe(false)
    // Drafts live in localStorage: an ended session must not wipe them.
    expect(localStorage.getItem('switchboard.sql.draft')).toBe('select 1')
  })

  it('sends the query of a SCAN page and the raw bytes of a binary key', async () => {
    await signedIn()
    fetchMock.mockResolvedValueOnce(reply(200, { data: { keys: [], cursor: '0', total_scanned: 0, db_size: 0 } }))
    await redis.keys('default', { pattern: 'user:*', cursor: '17', count: 200 })
    expect(fetchMock.mock.calls[1]![0]).toBe('/api/platform/redis/default/keys?pattern=user%3A*&cursor=17&count=200')

    expect(keySegment({ key: 'a b/c', key_encoding: 'utf8' })).toBe('a%20b%2Fc')
    expect(keySegment({ key: btoa('\u00ff\u0000k'), key_encoding: 'base64' })).toBe('%FF%00%6B')
    fetchMock.mockResolvedValueOnce(reply(204, ''))
    await redis.remove('default', { key: 'test:key', key_encoding: 'utf8' })
    expect(fetchMock.mock.calls[2]![0]).toBe('/api/platform/redis/default/keys/test%3Akey')
    expect(fetchMock.mock.calls[2]![1]!.method).toBe('DELETE')
  })

  it('reports an unreachable server as a sentence', async () => {
    await signedIn()
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'))
    await expect(projects.list()).rejects.toThrow('The server cannot be reached')
  })

  it('runs SQL, reads the row cap headers, and keeps the SQL error details', async () => {
    await signedIn()
    fetchMock.mockResolvedValueOnce(
      new Response(JSON.stringify({ data: [{ n: 1 }], command: 'SELECT', rows_affected: 1 }), {
        status: 200,
        headers: { 'x-switchboard-truncated': 'true', 'x-switchboard-row-cap': '10000' },
      }),
    )
    const result = await pg.query('p1', 'SELECT 1 AS n', 'c1', 'q-1')
    expect(result).toEqual({ rows: [{ n: 1 }], truncated: true, rowCap: 10000, command: 'SELECT', rowsAffected: 1 })
    const [url, init] = fetchMock.mock.calls[1]!
    expect(url).toBe('/api/platform/pg-meta/p1/query?connection_id=c1')
    expect(JSON.parse(init!.body as string)).toEqual({ query: 'SELECT 1 AS n', query_id: 'q-1' })

    fetchMock.mockResolvedValueOnce(
      reply(400, {
        error: {
          message: 'syntax error at or near "FORM"',
          code: 'QUERY_ERROR',
          details: { code: '42601', position: 10, detail: null, hint: 'Check it.' },
        },
      }),
    )
    const error = await pg.query('p1', 'SELECT * FORM t').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(sqlErrorDetails(error)).toEqual({ code: '42601', position: 10, detail: null, hint: 'Check it.' })
  })

  it('downloads CSV with Accept: text/csv', async () => {
    await signedIn()
    fetchMock.mockResolvedValueOnce(new Response('n\r\n1\r\n', { status: 200, headers: { 'content-type': 'text/csv' } }))
    const blob = await pg.exportCsv('p1', 'SELECT 1 AS n')
    expect(await blob.text()).toBe('n\r\n1\r\n')
    const init = fetchMock.mock.calls[1]![1]!
    expect((init.headers as Record<string, string>).accept).toBe('text/csv')
  })
})
