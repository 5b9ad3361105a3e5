// The engine registry is complete (every entry has what the routes, the project page and the
// connection form read), and the paths under `/project/{ref}/databases/{engine}` reach the engine's
// area, which routes the rest; anything else is not found.
import { cleanup, render, screen } from '@testing-library/react'
import { Suspense } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import type { Connection } from '../api'
import { createBody, emptyForm, engineFields, formFromConnection, type ConnectionForm } from '../connections/form'
import { MONGO_PAGES } from '../mongodb/MongoPages'
import { POSTGRES_PAGES } from '../postgres/PostgresPages'
import { REDIS_PAGES } from '../redis/RedisPages'
import { ENGINES, engineLabel, findEngine } from './registry'
import { matchRoute, pickPage } from './routes'

afterEach(cleanup)

/** Inputs the form has for every engine; an engine's own field must not reuse their names. */
const COMMON_INPUTS = ['engine', 'identifier', 'mode', 'connection_string', 'host', 'port', 'database_name', 'username', 'password']
  .concat(['clear_password', 'tls', 'connect_timeout_ms', 'is_primary'])

function connection(engine: Connection['database_type'], options: Record<string, unknown>): Connection {
  return {
    id: '0190a0a0-0000-7000-8000-000000000001',
    project_id: '0190a0a0-0000-7000-8000-000000000002',
    database_type: engine,
    identifier: 'c',
    host: 'h',
    port: 1,
    database_name: null,
    username: null,
    has_password: false,
    has_connection_string: false,
    options,
    is_primary: true,
    status: 'ACTIVE',
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
  }
}

describe('the engine registry', () => {
  it('has one complete entry per engine', () => {
    const names = ENGINES.map((e) => e.name)
    expect(new Set(names).size).toBe(names.length)
    for (const e of ENGINES) {
      expect(e.name).toMatch(/^[a-z][a-z0-9]*$/)
      expect(e.label.trim()).not.toBe('')
      expect(Number.isInteger(e.defaultPort) && e.defaultPort > 0 && e.defaultPort < 65536).toBe(true)
      expect(e.gateActions.length).toBeGreaterThan(0)
      expect(typeof e.summary).toBe('function')
      // React.lazy's component: its chunk is fetched on first render, not at start.
      expect(e.Area.$$typeof).toBe(Symbol.for('react.lazy'))
      const spec = e.connectionForm
      expect(spec.urlExample).toMatch(/^[a-z][a-z0-9+.-]*:\/\//)
      expect(spec.identifierPlaceholder).toMatch(/^[A-Za-z0-9._-]{1,64}$/)
      if (spec.tlsLabel !== null) expect(spec.tlsLabel.trim()).not.toBe('')
      expect(findEngine(e.name)).toBe(e)
      expect(engineLabel(e.name)).toBe(e.label)
    }
    expect(findEngine('nosuchdb')).toBeUndefined()
    expect(engineLabel('nosuchdb')).toBe('nosuchdb')
  })

  it("gives each engine's form fields distinct names, choices where they choose, and hooks for custom ones", () => {
    for (const e of ENGINES) {
      const fields = engineFields(e.name)
      const names = fields.map((f) => f.name)
      expect(new Set(names).size, e.name).toBe(names.length)
      for (const f of fields) {
        expect(COMMON_INPUTS, `${e.name}.${f.name}`).not.toContain(f.name)
        if (f.kind === 'select' || f.kind === 'tristate') expect(f.choices?.length, `${e.name}.${f.name}`).toBeGreaterThan(0)
        if (f.kind === 'tristate') expect(f.choices?.map(([v]) => v)).toEqual(['', 'true', 'false'])
        if (f.kind === 'number') expect(f.what, `${e.name}.${f.name}`).toMatch(/^The /)
        if (f.custom) {
          expect(e.connectionForm.readOptions, e.name).toBeDefined()
          expect(e.connectionForm.writeOptions, e.name).toBeDefined()
        }
      }
    }
  })

  it("sends each engine's fields as options and reads them back from a saved connection", () => {
    for (const e of ENGINES) {
      const empty: ConnectionForm = { ...emptyForm(e.name), identifier: 'c', host: 'h' }
      expect(createBody(empty), e.name).toEqual({ ok: true, value: { identifier: 'c', host: 'h', port: e.defaultPort } })
      const values = { ...empty.values }
      for (const f of engineFields(e.name)) {
        if (f.custom) continue
        values[f.name] = f.kind === 'flag' ? true : f.kind === 'number' ? '7' : f.kind === 'tristate' ? 'false' : 'x'
      }
      const built = createBody({ ...empty, tls: true, values })
      if (!built.ok) throw new Error(built.error)
      const back = formFromConnection(connection(e.name, built.value.options ?? {}))
      expect(back.values, e.name).toEqual(values)
      // Without a TLS checkbox, its fields say how TLS is used and the box stays unticked.
      expect(back.tls, e.name).toBe(e.connectionForm.tlsLabel !== null)
    }
  })

  it("summarizes a connection's database for the project page", () => {
    for (const e of ENGINES) {
      const summary = e.summary(connection(e.name, {}))
      expect(summary === null || typeof summary === 'string').toBe(true)
    }
  })
})

describe('matchRoute', () => {
  it("sends every path under an engine's name to its area, with the rest of the path", () => {
    for (const e of ENGINES) {
      expect(matchRoute(`/project/p1/databases/${e.name}`)).toEqual({ page: 'engine', projectRef: 'p1', engine: e, rest: [] })
      expect(matchRoute(`/project/p1/databases/${e.name}/tab`)).toEqual({ page: 'engine', projectRef: 'p1', engine: e, rest: ['tab'] })
      expect(matchRoute(`/project/p%201/databases/${e.name}/a/b/`)).toEqual({ page: 'engine', projectRef: 'p 1', engine: e, rest: ['a', 'b'] })
    }
  })

  it('sends an unknown engine and unknown pages to the not-found page', () => {
    expect(matchRoute('/project/p1/databases/nosuchdb')).toEqual({ page: 'notFound', projectRef: 'p1' })
    expect(matchRoute('/project/p1/databases')).toEqual({ page: 'notFound', projectRef: 'p1' })
    expect(matchRoute('/project/p1/toString')).toEqual({ page: 'notFound', projectRef: 'p1' })
    expect(matchRoute('/project/p1/members/x')).toEqual({ page: 'notFound', projectRef: 'p1' })
    expect(matchRoute('/elsewhere')).toEqual({ page: 'notFound' })
    expect(matchRoute('/users/x')).toEqual({ page: 'notFound' })
  })

  it('routes the pages that are not an engine', () => {
    expect(matchRoute('/')).toEqual({ page: 'projects' })
    expect(matchRoute('/users')).toEqual({ page: 'users' })
    expect(matchRoute('/project/p1')).toEqual({ page: 'project', projectRef: 'p1' })
    expect(matchRoute('/project/p1/activity')).toEqual({ page: 'activity', projectRef: 'p1' })
    expect(matchRoute('/project/p1/audit')).toEqual({ page: 'team', projectRef: 'p1', tab: 'audit' })
  })
})

describe("each engine's area", () => {
  it('has the pages the console links to, and nothing deeper', () => {
    expect(Object.keys(REDIS_PAGES).sort()).toEqual(['', 'analysis', 'cli', 'clients', 'pubsub', 'server', 'slowlog'])
    expect(Object.keys(POSTGRES_PAGES).sort()).toEqual(['', 'database', 'performance', 'tables', 'types'])
    expect(Object.keys(MONGO_PAGES)).toEqual([''])
    expect(pickPage(REDIS_PAGES, [])).toBe(REDIS_PAGES[''])
    expect(pickPage(REDIS_PAGES, ['pubsub'])).toBe(REDIS_PAGES.pubsub)
    expect(pickPage(POSTGRES_PAGES, ['tables'])).toBe(POSTGRES_PAGES.tables)
    expect(pickPage(REDIS_PAGES, ['pubsub', 'x'])).toBeUndefined()
    expect(pickPage(REDIS_PAGES, ['constructor'])).toBeUndefined()
    expect(pickPage(MONGO_PAGES, ['tab'])).toBeUndefined()
  })

  it('loads lazily and answers an unknown page with the not-found page', async () => {
    for (const e of ENGINES) {
      const path = `/project/p1/databases/${e.name}/nosuchpage`
      render(
        <Suspense fallback={<p>loading</p>}>
          <e.Area projectRef="p1" connectionId={undefined} rest={['nosuchpage']} path={path} />
        </Suspense>,
      )
      expect(await screen.findByText('Page not found', {}, { timeout: 10_000 })).toBeDefined()
      expect(screen.getByText(path)).toBeDefined()
      cleanup()
    }
  }, 30_000)
})
