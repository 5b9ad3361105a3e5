import { act, fireEvent, render, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { signIn, signOut } from '../../api'
import { TableEditorPage } from './TableEditorPage'

const fetchMock = vi.fn<typeof fetch>()
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })

const columns = [
  { name: 'id', type: 'bigint', format: 'int8', nullable: false, default: null, primary_key: true, foreign_key: null, enum_values: null, updatable: true },
  { name: 'name', type: 'text', format: 'text', nullable: true, default: null, primary_key: false, foreign_key: null, enum_values: null, updatable: true },
  {
    name: 'owner_id',
    type: 'integer',
    format: 'int4',
    nullable: true,
    default: null,
    primary_key: false,
    foreign_key: { schema: 'public', table: 'owners', table_id: 2, column: 'id' },
    enum_values: null,
    updatable: true,
  },
]
const table = (id: number, name: string) => ({
  id,
  schema: 'public',
  name,
  comment: null,
  live_rows_estimate: 250,
  primary_keys: [{ name: 'id', table_id: id }],
  relationships: [],
  columns: columns.map((c, i) => ({ id: `${id}.${i}`, name: c.name, data_type: c.type, format: c.format, is_nullable: c.nullable, ordinal_position: i + 1, default_value: null })),
})

function rowsPage(from: number, n: number, cursor: string | null) {
  return {
    data: {
      rows: Array.from({ length: n }, (_, i) => ({ id: String(9007199254740993n + BigInt(from + i)), name: from + i === 0 ? '' : `n${from + i}`, owner_id: 7 })),
      columns,
      primary_key: ['id'],
      cursor,
      paging: 'keyset',
      count: 250,
      count_is_estimate: true,
      count_note: null,
    },
  }
}

let role = 'developer'
let rowCalls: URL[] = []
let patchAnswer: () => Response

beforeEach(async () => {
  role = 'developer'
  rowCalls = []
  fetchMock.mockReset()
  fetchMock.mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://x')
    const method = init?.method ?? 'GET'
    if (url.pathname === '/api/auth/session') return json(201, { data: { user: { id: 'u', email: 'a@example.com', is_superuser: false, disabled: false }, csrf_token: 'c' } })
    if (url.pathname.endsWith('/databases')) return json(200, { data: [{ id: 'c1', database_type: 'postgres', identifier: 'db', is_primary: true }] })
    if (url.pathname === '/api/platform/projects/p') return json(200, { data: { ref: 'p', name: 'P', role } })
    if (url.pathname.endsWith('/tables')) return json(200, { data: [table(1, 'things'), table(2, 'owners')] })
    if (url.pathname.endsWith('/rows') && method === 'GET') {
      rowCalls.push(url)
      const cursor = url.searchParams.get('cursor')
      return json(200, cursor === 'c1' ? rowsPage(100, 100, 'c2') : cursor === 'c2' ? rowsPage(200, 50, null) : rowsPage(0, 100, 'c1'))
    }
    if (url.pathname.endsWith('/rows') && method === 'PATCH') return patchAnswer()
    return json(404, { error: { code: 'NOT_FOUND', message: `no ${url.pathname}` } })
  })
  vi.stubGlobal('fetch', fetchMock)
  signOut()
  await signIn('a@example.com', 'pw')
  window.history.replaceState(null, '', '/project/p/databases/postgres/tables?table=1')
})

// jsdom lays nothing out: the grid's scrolling box gets the size of a screen, so the virtualizer
// renders the rows a browser would.
const clientHeight = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight')
const clientWidth = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientWidth')
beforeEach(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 })
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1000 })
})

afterEach(() => {
  vi.unstubAllGlobals()
  if (clientHeight) Object.defineProperty(HTMLElement.prototype, 'clientHeight', clientHeight)
  if (clientWidth) Object.defineProperty(HTMLElement.prototype, 'clientWidth', clientWidth)
})

describe('Table Editor page', () => {
  it('shows the rows, empty string apart from NULL, and big keys exact', async () => {
    const { findAllByRole, container } = render(<TableEditorPage projectRef="p" />)
    const cells = await findAllByRole('gridcell')
    expect(cells.length).toBeGreaterThan(0)
    expect(container.querySelector('[data-column="id"].rg2-cell')?.textContent).toBe('9007199254740993')
    expect(container.querySelector('[data-column="name"].rg2-cell.empty')?.textContent).toBe('EMPTY')
    expect(container.querySelector('[data-count]')?.textContent).toBe('~250 rows (estimate)')
  })

  it('fetches the next page with the cursor when the grid scrolls near the end, then stops at the end', async () => {
    const { findAllByRole, container } = render(<TableEditorPage projectRef="p" />)
    await findAllByRole('gridcell')
    const grid = container.querySelector('.row-grid') as HTMLDivElement
    for (const top of [100 * 32, 200 * 32, 300 * 32]) {
      await act(async () => {
        grid.scrollTop = top
        fireEvent.scroll(grid)
      })
      await new Promise((r) => setTimeout(r, 30))
    }
    await waitFor(() => expect(rowCalls.map((u) => u.searchParams.get('cursor'))).toEqual([null, 'c1', 'c2']))
    expect(rowCalls[1]!.searchParams.get('limit')).toBe('100')
    await waitFor(() => expect(container.textContent).toContain('All 250 rows loaded.'))
  })

  it('sorts by a header click through the address, which starts the rows over', async () => {
    const { findAllByRole, container } = render(<TableEditorPage projectRef="p" />)
    await findAllByRole('gridcell')
    fireEvent.click(container.querySelector('button[data-column="name"]')!)
    expect(window.location.search).toContain('order=name.asc')
  })

  it('follows a foreign key to the referenced table, filtered on its column', async () => {
    const { findAllByLabelText } = render(<TableEditorPage projectRef="p" />)
    fireEvent.click((await findAllByLabelText('Open referenced owners row'))[0]!)
    const q = new URLSearchParams(window.location.search)
    expect(q.get('table')).toBe('2')
    expect(q.getAll('filter')).toEqual(['id.eq.7'])
  })

  it('shows both values on a 409 and overwrites with expect = the current row', async () => {
    const { findAllByRole, container, getByRole, findByRole, getByText } = render(<TableEditorPage projectRef="p" />)
    await findAllByRole('gridcell')
    patchAnswer = () =>
      json(409, { error: { code: 'CONFLICT', message: 'changed', details: { current: { id: '9007199254740994', name: 'theirs', owner_id: 7 } } } })
    fireEvent.doubleClick(container.querySelectorAll('[data-column="name"].rg2-cell')[1]!)
    const dialog = await findByRole('dialog')
    fireEvent.change(dialog.querySelector('textarea')!, { target: { value: 'mine' } })
    fireEvent.click(getByText('Save'))
    await waitFor(() => expect(getByRole('dialog').getAttribute('aria-label')).toMatch(/changed/))
    expect(getByRole('dialog').querySelector('[data-side="mine"]')?.textContent).toBe('mine')
    expect(getByRole('dialog').querySelector('[data-side="current"]')?.textContent).toBe('theirs')
    const patchBodies = () => fetchMock.mock.calls.filter(([, i]) => i?.method === 'PATCH').map(([, i]) => String(i!.body))
    expect(patchBodies()[0]).toBe('[{"pk":{"id":"9007199254740994"},"set":{"name":"mine"},"expect":{"name":"n1"}}]')
    patchAnswer = () => json(200, { data: [{ id: '9007199254740994', name: 'mine', owner_id: 7 }] })
    fireEvent.click(getByText('Overwrite with mine'))
    await waitFor(() => expect(container.querySelectorAll('[data-column="name"].rg2-cell')[1]!.textContent).toBe('mine'))
    expect(patchBodies()[1]).toBe('[{"pk":{"id":"9007199254740994"},"set":{"name":"mine"},"expect":{"id":"9007199254740994","name":"theirs","owner_id":7}}]')
  })

  it('gives a viewer every write control disabled, with the reason', async () => {
    role = 'viewer'
    const { findAllByRole, getByText, container } = render(<TableEditorPage projectRef="p" />)
    await findAllByRole('gridcell')
    await waitFor(() => expect((getByText('Insert row') as HTMLButtonElement).disabled).toBe(true))
    expect((getByText(/Delete .*selected/) as HTMLButtonElement).disabled).toBe(true)
    expect(getByText('Insert row').parentElement?.getAttribute('title')).toMatch(/viewer/)
    const checkbox = container.querySelector('.rg2-select input') as HTMLInputElement
    expect(checkbox.disabled).toBe(true)
    fireEvent.doubleClick(container.querySelector('[data-column="name"].rg2-cell')!)
    expect(container.querySelector('[role="dialog"]')).toBeNull()
  })
})
