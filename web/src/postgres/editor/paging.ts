// The rows the grid holds, page by page. A page is asked for with the cursor of the one before;
// a cursor is only valid with the order and filters it came with, so every change of those is a
// new `key` that starts again from nothing, and an answer for an older key is dropped.
import type { PgRow, RowColumn, RowPage } from '../../api'

export const PAGE_SIZE = 100
/** Ask for the next page when the last row in view is this close to the end of what is loaded. */
export const PREFETCH_ROWS = 30

export interface PageMeta {
  columns: RowColumn[]
  primary_key: string[]
  paging: 'keyset' | 'offset'
  count: number | null
  count_is_estimate: boolean
  count_note: string | null
}

export interface RowsState {
  key: string
  rows: PgRow[]
  /** Where the next page starts; null at the end (or before the first page). */
  cursor: string | null
  /** Whether the first page came. */
  started: boolean
  loading: boolean
  error: unknown
  meta: PageMeta | null
}

export type RowsAction =
  | { type: 'reset'; key: string }
  | { type: 'loading'; key: string }
  | { type: 'page'; key: string; page: RowPage }
  | { type: 'error'; key: string; error: unknown }
  /** A row written by the editor (update), in place. */
  | { type: 'replace'; index: number; row: PgRow }
  /** Rows inserted by the editor, shown first. */
  | { type: 'insert'; rows: PgRow[] }
  | { type: 'remove'; indexes: number[] }
  | { type: 'count'; count: number | null; estimate: boolean; note: string | null }

export function initialRows(key: string): RowsState {
  return { key, rows: [], cursor: null, started: false, loading: false, error: null, meta: null }
}

export function rowsReducer(state: RowsState, action: RowsAction): RowsState {
  switch (action.type) {
    case 'reset':
      return initialRows(action.key)
    case 'loading':
      return action.key === state.key ? { ...state, loading: true, error: null } : state
    case 'error':
      return action.key === state.key ? { ...state, loading: false, error: action.error } : state
    case 'page': {
      if (action.key !== state.key) return state
      const { rows, cursor, ...meta } = action.page
      // The count of later pages is not asked for again; keep the one the first page had.
      const kept = state.meta && state.started ? { count: state.meta.count, count_is_estimate: state.meta.count_is_estimate, count_note: state.meta.count_note } : {}
      return {
        ...state,
        rows: state.started ? [...state.rows, ...rows] : rows,
        cursor,
        started: true,
        loading: false,
        error: null,
        meta: { ...meta, ...kept },
      }
    }
    case 'replace':
      return { ...state, rows: state.rows.map((r, i) => (i === action.index ? action.row : r)) }
    case 'insert':
      return { ...state, rows: [...action.rows, ...state.rows] }
    case 'remove': {
      const gone = new Set(action.indexes)
      return { ...state, rows: state.rows.filter((_, i) => !gone.has(i)) }
    }
    case 'count':
      return state.meta
        ? { ...state, meta: { ...state.meta, count: action.count, count_is_estimate: action.estimate, count_note: action.note } }
        : state
  }
}

/** Whether to fetch the next page, given the index of the last row in view. */
export function shouldLoadMore(state: RowsState, lastVisibleIndex: number): boolean {
  return (
    state.started &&
    !state.loading &&
    state.error === null &&
    state.cursor !== null &&
    lastVisibleIndex >= state.rows.length - PREFETCH_ROWS
  )
}

/** The key of a view of a table: the cursor of one key is meaningless under another. */
export function viewKey(table: number | string, order: string[], filter: string[], select: string[]): string {
  return JSON.stringify([table, order, filter, select])
}

/** The primary key of a row, as the write routes take it. */
export function pkOf(row: PgRow, primaryKey: string[]): PgRow {
  return Object.fromEntries(primaryKey.map((c) => [c, row[c]]))
}
