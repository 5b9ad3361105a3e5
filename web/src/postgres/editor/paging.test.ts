import { describe, expect, it } from 'vitest'
import type { RowPage } from '../../api'
import { initialRows, PREFETCH_ROWS, rowsReducer, shouldLoadMore, viewKey, type RowsState } from './paging'

function page(ids: number[], cursor: string | null, count: number | null = 1000): RowPage {
  return {
    rows: ids.map((id) => ({ id, big: '9007199254740993' })),
    columns: [],
    primary_key: ['id'],
    cursor,
    paging: 'keyset',
    count,
    count_is_estimate: true,
    count_note: null,
  }
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)

describe('grid paging', () => {
  const key = viewKey(1, ['id.asc'], [], [])

  it('appends pages in order and keeps the cursor of the last one', () => {
    let s: RowsState = rowsReducer(initialRows(key), { type: 'loading', key })
    s = rowsReducer(s, { type: 'page', key, page: page(range(0, 100), 'c1') })
    expect(s.rows).toHaveLength(100)
    expect(s.cursor).toBe('c1')
    s = rowsReducer(s, { type: 'page', key, page: page(range(100, 50), null, null) })
    expect(s.rows.map((r) => r.id)).toEqual(range(0, 150))
    expect(s.cursor).toBeNull()
    // The count came with the first page; a later page without one does not erase it.
    expect(s.meta?.count).toBe(1000)
    expect(s.rows[149]!.big).toBe('9007199254740993')
  })

  it('asks for the next page only near the end, once, and never past the last', () => {
    let s = rowsReducer(initialRows(key), { type: 'page', key, page: page(range(0, 100), 'c1') })
    expect(shouldLoadMore(s, 10)).toBe(false)
    expect(shouldLoadMore(s, 100 - PREFETCH_ROWS)).toBe(true)
    s = rowsReducer(s, { type: 'loading', key })
    expect(shouldLoadMore(s, 99)).toBe(false)
    s = rowsReducer(s, { type: 'page', key, page: page([100], null) })
    expect(shouldLoadMore(s, 100)).toBe(false)
    // Nothing before the first page, and not after an error (the user retries).
    expect(shouldLoadMore(initialRows(key), 0)).toBe(false)
    const failed = rowsReducer(rowsReducer(initialRows(key), { type: 'page', key, page: page(range(0, 100), 'c1') }), {
      type: 'error',
      key,
      error: new Error('x'),
    })
    expect(shouldLoadMore(failed, 99)).toBe(false)
  })

  it('drops answers for another order or filter: a cursor is only valid with its own', () => {
    const other = viewKey(1, ['id.desc'], [], [])
    expect(other).not.toBe(key)
    let s = rowsReducer(initialRows(key), { type: 'page', key, page: page(range(0, 100), 'c1') })
    s = rowsReducer(s, { type: 'reset', key: other })
    expect(s.rows).toEqual([])
    expect(s.cursor).toBeNull()
    // The old view's late answer is ignored.
    s = rowsReducer(s, { type: 'page', key, page: page(range(100, 100), 'c2') })
    expect(s.rows).toEqual([])
    expect(s.started).toBe(false)
    s = rowsReducer(s, { type: 'page', key: other, page: page([5, 4], null) })
    expect(s.rows.map((r) => r.id)).toEqual([5, 4])
  })

  it('writes in place: replace, insert first, remove', () => {
    let s = rowsReducer(initialRows(key), { type: 'page', key, page: page([1, 2, 3], null) })
    s = rowsReducer(s, { type: 'replace', index: 1, row: { id: 2, big: '1' } })
    s = rowsReducer(s, { type: 'insert', rows: [{ id: 9 }] })
    s = rowsReducer(s, { type: 'remove', indexes: [0, 3] })
    expect(s.rows).toEqual([{ id: 1, big: '9007199254740993' }, { id: 2, big: '1' }])
  })
})
