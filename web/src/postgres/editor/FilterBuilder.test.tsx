import { fireEvent, render } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { FilterBuilder } from './FilterBuilder'
import { filterParam, type Filter } from './query'

describe('filter builder', () => {
  it('builds column, operator and value rows and applies them', () => {
    const apply = vi.fn<(f: Filter[]) => void>()
    const { getByText, getAllByLabelText, queryAllByLabelText } = render(<FilterBuilder columns={['id', 'name']} applied={[]} onApply={apply} />)
    fireEvent.click(getByText('Add filter'))
    fireEvent.change(getAllByLabelText('Filter column')[0]!, { target: { value: 'name' } })
    fireEvent.change(getAllByLabelText('Filter operator')[0]!, { target: { value: 'ilike' } })
    fireEvent.change(getAllByLabelText('Filter value')[0]!, { target: { value: '%ada%' } })
    fireEvent.click(getByText('Add filter'))
    fireEvent.change(getAllByLabelText('Filter operator')[1]!, { target: { value: 'notnull' } })
    // "is not NULL" takes no value.
    expect(queryAllByLabelText('Filter value')).toHaveLength(1)
    fireEvent.click(getByText('Apply filters'))
    expect(apply.mock.lastCall![0].map(filterParam)).toEqual(['name.ilike.%ada%', 'id.notnull'])
  })

  it('refuses an incomplete filter with a message instead of sending it', () => {
    const apply = vi.fn()
    const { getByText, getByLabelText, getByRole } = render(<FilterBuilder columns={['ok']} applied={[]} onApply={apply} />)
    fireEvent.click(getByText('Add filter'))
    fireEvent.change(getByLabelText('Filter operator'), { target: { value: 'is' } })
    fireEvent.click(getByText('Apply filters'))
    expect(apply).not.toHaveBeenCalled()
    expect(getByRole('alert').textContent).toMatch(/not complete/)
  })

  it('starts from the filters applied, and Clear removes them', () => {
    const apply = vi.fn()
    const { getByText, getByLabelText } = render(
      <FilterBuilder columns={['id', 'tag']} applied={[{ column: 'tag', op: 'in', value: 'a\nb,c' }]} onApply={apply} />,
    )
    expect((getByLabelText('Filter value') as HTMLTextAreaElement).value).toBe('a\nb,c')
    fireEvent.click(getByText('Clear'))
    expect(apply).toHaveBeenCalledWith([])
  })
})
