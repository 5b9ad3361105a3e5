import { fireEvent, render, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { signIn, signOut } from '../../api'
import { DatabasePage } from './DatabasePage'
import { enumsOf, fieldsOf, fieldText, formatBytes } from './objects'

const fetchMock = vi.fn<typeof fetch>()
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })
let role = 'admin'

beforeEach(async () => {
  role = 'admin'
  fetchMock.mockReset()
  fetchMock.mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://x')
    const method = init?.method ?? 'GET'
    if (url.pathname === '/api/auth/session') return json(201, { data: { user: { id: 'u', email: 'a@example.com', is_superuser: false, disabled: false }, csrf_token: 'c' } })
    if (url.pathname.endsWith('/databases')) return json(200, { data: [{ id: 'c1', database_type: 'postgres', identifier: 'db', is_primary: true }] })
    if (url.pathname === '/api/platform/projects/p') return json(200, { data: { ref: 'p', name: 'P', role } })
    if (url.pathname.endsWith('/indexes') && method === 'GET') {
      return json(200, {
        data: [
          { id: 1, name: 'pets_pkey', table: 'public.pets', definition: 'CREATE UNIQUE INDEX pets_pkey ON public.pets USING btree (id)', size_bytes: 16384, scans: 12, unused: false },
          { id: 2, name: 'pets_name_idx', table: 'public.pets', definition: 'CREATE INDEX pets_name_idx ON public.pets USING btree (name)', size_bytes: 8192, scans: 0, unused: true },
        ],
      })
    }
    if (url.pathname.endsWith('/tables')) {
      return json(200, { data: [{ id: 5, schema: 'public', name: 'pets', columns: [{ name: 'id' }, { name: 'name' }], primary_keys: [], relationships: [] }] })
    }
    if (url.pathname.endsWith('/indexes') && method === 'POST') {
      const body = JSON.parse(String(init!.body))
      return json(200, { data: body.dry_run ? { dry_run: true, sql: 'CREATE INDEX ON public.pets (name);' } : { id: 3 } })
    }
    if (url.pathname.endsWith('/extensions') && method === 'GET') {
      return json(200, { data: [{ name: 'pgcrypto', default_version: '1.3', installed_version: null, comment: 'cryptographic functions' }] })
    }
    if (url.pathname.endsWith('/extensions') && method === 'POST') {
      const body = JSON.parse(String(init!.body))
      return json(200, { data: body.dry_run ? { dry_run: true, sql: 'CREATE EXTENSION pgcrypto;' } : { name: 'pgcrypto' } })
    }
    if (url.pathname.endsWith('/types')) return json(200, { data: [{ id: 1, schema: 'public', name: 'mood', enums: ['sad', 'ok'] }, { id: 2, schema: 'public', name: 'pt', enums: [] }] })
    return json(404, { error: { code: 'NOT_FOUND', message: `no ${url.pathname}` } })
  })
  vi.stubGlobal('fetch', fetchMock)
  signOut()
  await signIn('a@example.com', 'pw')
})
afterEach(() => vi.unstubAllGlobals())

describe('database pages', () => {
  it('shows listings as text', () => {
    expect(fieldText(['a', 'b'])).toBe('a, b')
    expect(fieldText(true)).toBe('yes')
    expect(fieldText(null)).toBe('')
    expect(fieldsOf([{ id: 1, name: 'x', can_login: true, other: 1 }], ['name', 'can_login', 'missing'])).toEqual(['name', 'can_login'])
    expect(fieldsOf([{ id: 1, a: 1 }])).toEqual(['a'])
    expect(enumsOf([{ enums: ['a'] }, { enums: [] }, {}])).toHaveLength(1)
    expect(formatBytes(16384)).toBe('16 kB')
  })

  it('marks unused indexes', async () => {
    window.history.replaceState(null, '', '/project/p/databases/postgres/database?section=indexes')
    const { findByText, container } = render(<DatabasePage projectRef="p" />)
    await findByText('pets_name_idx')
    expect(container.querySelector('[data-index="pets_name_idx"]')?.className).toBe('unused')
    expect(container.querySelector('[data-index="pets_pkey"]')?.className).toBe('')
  })

  it('enables an extension after showing its SQL', async () => {
    window.history.replaceState(null, '', '/project/p/databases/postgres/database?section=extensions')
    const { findByText, getByText, container } = render(<DatabasePage projectRef="p" />)
    await waitFor(() => expect((getByText('Enable') as HTMLButtonElement).disabled).toBe(false))
    fireEvent.click(getByText('Enable'))
    fireEvent.click(await findByText('Preview SQL'))
    await waitFor(() => expect(container.ownerDocument.querySelector('[data-sql-preview]')?.textContent).toBe('CREATE EXTENSION pgcrypto;'))
    const applies = [...container.ownerDocument.querySelectorAll('[role="dialog"] button')].filter((b) => b.textContent === 'Enable')
    fireEvent.click(applies[0]!)
    await waitFor(() => expect(container.ownerDocument.querySelector('[role="dialog"]')).toBeNull())
    const posts = fetchMock.mock.calls.filter(([, i]) => i?.method === 'POST' && !String(i.body).includes('password'))
    expect(posts.map(([, i]) => JSON.parse(String(i!.body)))).toEqual([{ name: 'pgcrypto', dry_run: true }, { name: 'pgcrypto' }])
  })

  it('creates an index by table id and ordered columns, after its SQL', async () => {
    window.history.replaceState(null, '', '/project/p/databases/postgres/database?section=indexes')
    const { findByText, getByText, getByLabelText } = render(<DatabasePage projectRef="p" />)
    await findByText('pets_name_idx')
    await waitFor(() => expect((getByText('Create index') as HTMLButtonElement).disabled).toBe(false))
    fireEvent.click(getByText('Create index'))
    await waitFor(() => expect(getByLabelText('Index table').querySelectorAll('option')).toHaveLength(2))
    fireEvent.change(getByLabelText('Index table'), { target: { value: 'public.pets' } })
    fireEvent.click(getByLabelText('Index column name'))
    fireEvent.click(getByText('Preview SQL'))
    await findByText('CREATE INDEX ON public.pets (name);')
    const post = fetchMock.mock.calls.find(([u, i]) => String(u).includes('/indexes') && i?.method === 'POST')!
    expect(JSON.parse(String(post[1]!.body))).toEqual({ table_id: 5, columns: [{ name: 'name' }], method: 'btree', dry_run: true })
  })

  it('lists only enum types under Enums', async () => {
    window.history.replaceState(null, '', '/project/p/databases/postgres/database?section=enums')
    const { findByText, queryByText } = render(<DatabasePage projectRef="p" />)
    await findByText('sad, ok')
    expect(queryByText('pt')).toBeNull()
  })

  it('disables schema actions, with the reason, for a role below admin', async () => {
    role = 'developer'
    window.history.replaceState(null, '', '/project/p/databases/postgres/database?section=indexes')
    const { findByText, getByText } = render(<DatabasePage projectRef="p" />)
    await findByText('pets_name_idx')
    const create = getByText('Create index') as HTMLButtonElement
    expect(create.disabled).toBe(true)
    expect(create.title).toMatch(/Only admins/)
  })
})
