// Grid columns as wide as their content (up to a limit; a cut value keeps its whole text as a
// tooltip), and a drag handle on each header to make one wider or narrower.
import { useState, type PointerEvent } from 'react'

/** Pixels per character of the grids' monospace font, and a cell's padding. */
const CHAR_PX = 7.6
const PADDING_PX = 18
export const MIN_COLUMN = 56
const MAX_COLUMN = 420
/** Rows looked at to size the columns. */
export const SAMPLE_ROWS = 200

/** The width that shows the longest of `texts` (long values count as 80 characters at most). */
export function widthFor(texts: Iterable<string>): number {
  let longest = 1
  for (const t of texts) longest = Math.max(longest, Math.min(t.length, 80))
  return Math.round(Math.min(MAX_COLUMN, Math.max(MIN_COLUMN, longest * CHAR_PX + PADDING_PX)))
}

/** Widths the user dragged, by column name, over the computed ones. */
export function useColumnResize() {
  const [dragged, setDragged] = useState<Record<string, number>>({})
  const start = (column: string, from: number) => (event: PointerEvent<HTMLElement>) => {
    event.preventDefault()
    event.stopPropagation()
    const startX = event.clientX
    const move = (e: globalThis.PointerEvent) => setDragged((d) => ({ ...d, [column]: Math.max(MIN_COLUMN, Math.round(from + e.clientX - startX)) }))
    const up = () => {
      window.removeEventListener('pointermove', move)
      window.removeEventListener('pointerup', up)
    }
    window.addEventListener('pointermove', move)
    window.addEventListener('pointerup', up)
  }
  return { dragged, start }
}
