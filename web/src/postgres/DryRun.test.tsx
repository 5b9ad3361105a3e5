import { fireEvent, render, waitFor } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import type { PgTable } from '../api'
import { DryRunApply } from './DryRun'
import { dropTableConfirm } from './editor/TableDialog'

const pets: PgTable = {
  id: 7,
  schema: 'public',
  name: 'pets',
  comment: null,
  live_rows_estimate: 1200,
  primary_keys: [{ name: 'id', table_id: 7 }],
  relationships: [],
  columns: [
    { id: '7.1', name: 'id', data_type: 'bigint', format: 'int8', is_nullable: false, ordinal_position: 1, default_value: null },
    { id: '7.2', name: 'name', data_type: 'text', format: 'text', is_nullable: true, ordinal_position: 2, default_value: null },
  ],
}

describe('a drop through the dry run', () => {
  it('states the estimated rows and the columns of a table', () => {
    expect(dropTableConfirm(pets).losses).toEqual([
      { label: 'rows', count: 1200, estimate: true },
      { label: 'columns', count: 2 },
    ])
    expect(dropTableConfirm({ ...pets, live_rows_estimate: -1 }).losses![0]!.count).toBeNull()
  })

  it('runs only after the name is typed in the typed confirmation', async () => {
    const run = vi.fn(async (dry: boolean) => (dry ? { dry_run: true, sql: 'DROP TABLE "public"."pets";' } : null))
    const applied = vi.fn()
    const { getByText, getByLabelText, container } = render(
      <DryRunApply fingerprint="drop" run={run} applyLabel="Drop table" danger onApplied={applied} typed={dropTableConfirm(pets)} />,
    )
    fireEvent.click(getByText('Preview SQL'))
    await waitFor(() => expect(container.querySelector('[data-sql-preview]')).not.toBeNull())
    // A double-click on Apply: the second click does not reach the dialog's button.
    const apply = container.querySelector('.dry-run > .buttons > button.danger') as HTMLButtonElement
    fireEvent.click(apply)
    fireEvent.click(apply)
    const dialog = container.querySelector('form.typed-confirm')!
    expect(dialog.textContent).toMatch(/about 1,200 rows will be lost/)
    const confirm = dialog.querySelector('button.danger') as HTMLButtonElement
    expect(confirm.disabled).toBe(true)
    expect(run).toHaveBeenCalledTimes(1)
    fireEvent.change(getByLabelText('Type pets to confirm'), { target: { value: 'pets' } })
    await waitFor(() => expect(confirm.disabled).toBe(false), { timeout: 2000 })
    fireEvent.click(confirm)
    await waitFor(() => expect(applied).toHaveBeenCalled())
    expect(run).toHaveBeenLastCalledWith(false)
  })
})
