import { fireEvent, render } from '@testing-library/react'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import type { RowColumn } from '../../api'
import { CellEditor } from './CellEditor'
import { parseDraft, type Draft } from './cells'

function col(format: string, extra: Partial<RowColumn> = {}): RowColumn {
  return { name: 'c', type: format, format, nullable: true, default: null, primary_key: false, foreign_key: null, enum_values: null, updatable: true, ...extra }
}

function Harness({ column, start, onDraft }: { column: RowColumn; start: Draft; onDraft: (d: Draft) => void }) {
  const [draft, setDraft] = useState(start)
  return (
    <CellEditor
      column={column}
      draft={draft}
      onChange={(d) => {
        setDraft(d)
        onDraft(d)
      }}
    />
  )
}

describe('cell editor component', () => {
  it('keeps NULL apart from an emptied text box', () => {
    const seen = vi.fn()
    const { getByLabelText } = render(<Harness column={col('text')} start={{ isNull: false, text: 'x' }} onDraft={seen} />)
    fireEvent.change(getByLabelText('c'), { target: { value: '' } })
    expect(seen).toHaveBeenLastCalledWith({ isNull: false, text: '' })
    fireEvent.click(getByLabelText('c is NULL'))
    expect(seen).toHaveBeenLastCalledWith({ isNull: true, text: '' })
    expect((getByLabelText('c') as HTMLTextAreaElement).disabled).toBe(true)
    fireEvent.click(getByLabelText('c is NULL'))
    expect(seen).toHaveBeenLastCalledWith({ isNull: false, text: '' })
  })

  it('edits a bigint as text, so its digits survive', () => {
    const seen = vi.fn()
    const column = col('int8')
    const { getByLabelText } = render(<Harness column={column} start={{ isNull: false, text: '1' }} onDraft={seen} />)
    fireEvent.change(getByLabelText('c'), { target: { value: '9223372036854775807' } })
    const draft = seen.mock.lastCall![0] as Draft
    expect(parseDraft(column, draft)).toEqual({ ok: true, value: '9223372036854775807' })
  })

  it('offers the labels of an enum, and true/false for a boolean', () => {
    const { getByLabelText, rerender } = render(
      <CellEditor column={col('mood', { enum_values: ['sad', 'ok', 'happy'] })} draft={{ isNull: false, text: 'ok' }} onChange={() => {}} />,
    )
    const select = getByLabelText('c') as HTMLSelectElement
    expect([...select.options].map((o) => o.value)).toEqual(['sad', 'ok', 'happy'])
    expect(select.value).toBe('ok')
    rerender(<CellEditor column={col('bool', { nullable: false })} draft={{ isNull: false, text: 'true' }} onChange={() => {}} />)
    expect([...(getByLabelText('c') as HTMLSelectElement).options].map((o) => o.value)).toEqual(['true', 'false'])
  })

  it('has no NULL box for a NOT NULL column, and submits a one-line box on Enter', () => {
    const submit = vi.fn()
    const { queryByLabelText, getByLabelText } = render(
      <CellEditor column={col('int4', { nullable: false })} draft={{ isNull: false, text: '1' }} onChange={() => {}} onSubmit={submit} />,
    )
    expect(queryByLabelText('c is NULL')).toBeNull()
    fireEvent.keyDown(getByLabelText('c'), { key: 'Enter' })
    expect(submit).toHaveBeenCalledOnce()
  })
})
