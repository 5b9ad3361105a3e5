// Windowed rendering for long lists in the page's own scroll: only the rows near the viewport are
// in the DOM, so a list of a million keys costs what a screenful does.
import { useLayoutEffect, useState, type RefObject } from 'react'

export interface WindowRange {
  /** Index of the first row to render. */
  first: number
  /** One past the last row to render. */
  last: number
}

/**
 * The rows of a list of `count` rows of `rowHeight` pixels, starting at `anchor`, that are in (or
 * within `overscan` rows of) the viewport. Recomputed on scroll and resize, once per frame.
 */
export function useWindowRange(
  count: number,
  rowHeight: number,
  anchor: RefObject<HTMLElement | null>,
  overscan = 15,
): WindowRange {
  const [range, setRange] = useState<WindowRange>({ first: 0, last: Math.min(count, 50) })

  useLayoutEffect(() => {
    let frame = 0
    const measure = () => {
      frame = 0
      const node = anchor.current
      const top = node ? node.getBoundingClientRect().top : 0
      const first = Math.min(count, Math.max(0, Math.floor(-top / rowHeight) - overscan))
      const last = Math.min(count, first + Math.ceil(window.innerHeight / rowHeight) + 2 * overscan)
      setRange((r) => (r.first === first && r.last === last ? r : { first, last }))
    }
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(measure)
    }
    measure()
    window.addEventListener('scroll', schedule, { passive: true })
    window.addEventListener('resize', schedule)
    return () => {
      window.removeEventListener('scroll', schedule)
      window.removeEventListener('resize', schedule)
      if (frame) cancelAnimationFrame(frame)
    }
  }, [count, rowHeight, anchor, overscan])

  return range
}
