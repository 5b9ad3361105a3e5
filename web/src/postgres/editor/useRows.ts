// The rows of one view of a table (order, filters, columns), fetched a page at a time as the grid
// scrolls. See ./paging for the state and why a new view starts over.
import { useCallback, useEffect, useReducer, useRef } from 'react'
import type { RowsApi } from '../../api'
import { initialRows, PAGE_SIZE, rowsReducer, shouldLoadMore, viewKey, type RowsAction, type RowsState } from './paging'

export interface RowsView {
  /** The table's rows routes; null while no table is open. */
  rows: RowsApi | null
  /** Names the table (and its connection): another one starts over. */
  tableKey: string
  order: string[]
  filter: string[]
  select: string[]
}

export function useRows(view: RowsView): {
  state: RowsState
  dispatch: (action: RowsAction) => void
  /** Called with the index of the last row in view: fetches the next page when it is near. */
  visibleEnd: (index: number) => void
  reload: () => void
} {
  const { tableKey, order, filter, select } = view
  const open = view.rows !== null
  const key = viewKey(tableKey, order, filter, select)
  const [state, dispatch] = useReducer(rowsReducer, key, initialRows)
  const latest = useRef(state)
  latest.current = state
  // The key of the request on the way: a scroll event may come again before its answer.
  const inFlight = useRef<string | null>(null)
  const viewRef = useRef(view)
  viewRef.current = view

  const fetchPage = useCallback(
    async (forKey: string, cursor: string | null) => {
      const v = viewRef.current
      if (v.rows === null) return
      inFlight.current = forKey
      dispatch({ type: 'loading', key: forKey })
      try {
        const page = await v.rows.list({ limit: PAGE_SIZE, order: v.order, filter: v.filter, select: v.select, cursor })
        dispatch({ type: 'page', key: forKey, page })
      } catch (error) {
        dispatch({ type: 'error', key: forKey, error })
      } finally {
        if (inFlight.current === forKey) inFlight.current = null
      }
    },
    [],
  )

  const reload = useCallback(() => {
    dispatch({ type: 'reset', key })
    void fetchPage(key, null)
  }, [key, fetchPage])

  useEffect(() => {
    if (!open) return
    reload()
    // `key` holds everything the rows depend on, the table and its connection included.
  }, [reload, open])

  const visibleEnd = useCallback(
    (index: number) => {
      const s = latest.current
      if (inFlight.current === s.key || !shouldLoadMore(s, index)) return
      void fetchPage(s.key, s.cursor)
    },
    [fetchPage],
  )

  return { state, dispatch, visibleEnd, reload }
}
