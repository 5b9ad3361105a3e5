import { fireEvent, render, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { signIn, signOut, type PgTable } from '../../api'
import { columnChange, columnSpec, columnsProblem, CreateTableDialog, emptyColumn } from './TableDialog'

const fetchMock = vi.fn<typeof fetch>()
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })

const owners: PgTable = {
  id: 2,
  schema: 'public',
  name: 'owners',
  comment: null,
  primary_keys: [{ name: 'id', table_id: 2 }],
  relationships: [],
  columns: [{ id: '2.1', name: 'id', data_type: 'bigint', format: 'int8', is_nullable: false, ordinal_position: 1, default_value: null }],
}

beforeEach(async () => {
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  signOut()
  fetchMock.mockResolvedValueOnce(json(200, { access_token: 't', token_type: 'Bearer', expires_in: 3600 }))
  await signIn('a@example.com', 'pw')
})
afterEach(() => vi.unstubAllGlobals())

describe('table dialog', () => {
  it('turns the form into the API columns: identity, literal or expression defaults, a foreign key', () => {
    expect(columnSpec(emptyColumn({ name: 'id', type: 'bigint', identity: true, primaryKey: true, defaultValue: 'ignored' }))).toEqual({
      name: 'id',
      type: 'bigint',
      is_nullable: false,
      is_primary_key: true,
      is_identity: true,
      identity_generation: 'BY DEFAULT',
    })
    expect(columnSpec(emptyColumn({ name: 'at', type: 'timestamptz', defaultValue: 'now()', defaultIsExpression: true, nullable: false }))).toEqual({
      name: 'at',
      type: 'timestamptz',
      is_nullable: false,
      default_value: 'now()',
      default_value_format: 'expression',
    })
    expect(columnSpec(emptyColumn({ name: 'owner_id', type: 'bigint', refTable: 'public.owners', refColumn: 'id', onDelete: 'CASCADE' })).references).toEqual({
      schema: 'public',
      table: 'owners',
      column: 'id',
      on_delete: 'CASCADE',
    })
    expect(columnsProblem([emptyColumn({ name: 'a' }), emptyColumn({ name: 'a' })])).toMatch(/Two columns/)
    expect(columnsProblem([emptyColumn({ name: 'a', refTable: 'public.owners' })])).toMatch(/referenced column/)
  })

  it('changes a column by what differs only; an emptied default is dropped', () => {
    const before = { id: '5.2', name: 'title', data_type: 'text', format: 'text', is_nullable: true, ordinal_position: 2, default_value: "'x'::text" }
    const same = { name: 'title', type: 'text', defaultValue: "'x'::text", defaultIsExpression: true, nullable: true }
    expect(columnChange(before, same)).toEqual({})
    expect(columnChange(before, { ...same, name: 'heading', nullable: false })).toEqual({ name: 'heading', is_nullable: false })
    expect(columnChange(before, { ...same, defaultValue: '' })).toEqual({ drop_default: true })
    expect(columnChange(before, { ...same, type: 'varchar(80)', defaultValue: 'now()' })).toEqual({
      type: 'varchar(80)',
      default_value: 'now()',
      default_value_format: 'expression',
    })
  })

  it('shows the dry run SQL before Apply, and a change of the form takes the preview away', async () => {
    const created = vi.fn()
    fetchMock.mockImplementation(async (_url, init) => {
      const body = JSON.parse(String(init!.body))
      return body.dry_run ? json(200, { data: { dry_run: true, sql: `CREATE TABLE public.${body.name} (…);` } }) : json(201, { data: { ...owners, id: 3, name: body.name } })
    })
    const { getByLabelText, getByText, container, getAllByLabelText } = render(
      <CreateTableDialog projectRef="p" schema="public" tables={[owners]} onClose={() => {}} onCreated={created} />,
    )
    const apply = getByText('Create table') as HTMLButtonElement
    fireEvent.change(getByLabelText('Table name'), { target: { value: 'pets' } })
    expect(apply.disabled).toBe(true)
    fireEvent.click(getByText('Add column'))
    fireEvent.change(getAllByLabelText('Column name')[1]!, { target: { value: 'owner_id' } })
    fireEvent.change(getAllByLabelText('Referenced table')[1]!, { target: { value: 'public.owners' } })
    fireEvent.change(getAllByLabelText('Referenced column')[0]!, { target: { value: 'id' } })
    fireEvent.click(getByText('Preview SQL'))
    await waitFor(() => expect(container.querySelector('[data-sql-preview]')?.textContent).toBe('CREATE TABLE public.pets (…);'))
    const sent = JSON.parse(String(fetchMock.mock.lastCall![1]!.body))
    expect(sent.dry_run).toBe(true)
    expect(sent.columns[1].references).toEqual({ schema: 'public', table: 'owners', column: 'id', on_delete: 'NO ACTION' })
    expect(apply.disabled).toBe(false)
    fireEvent.change(getByLabelText('Table name'), { target: { value: 'pets2' } })
    expect(container.querySelector('[data-sql-preview]')).toBeNull()
    expect(apply.disabled).toBe(true)
    fireEvent.click(getByText('Preview SQL'))
    await waitFor(() => expect(apply.disabled).toBe(false))
    fireEvent.click(apply)
    await waitFor(() => expect(created).toHaveBeenCalledWith(expect.objectContaining({ id: 3, name: 'pets2' })))
    expect(JSON.parse(String(fetchMock.mock.lastCall![1]!.body)).dry_run).toBeUndefined()
  })
})
