// A width the user drags (a sidebar), kept in localStorage.
import { useCallback, useState, type PointerEvent } from 'react'

export function useResizableWidth(storageKey: string, initial: number, min = 160, max = 720) {
  const [width, setWidth] = useState(() => {
    const saved = Number(localStorage.getItem(storageKey))
    return Number.isFinite(saved) && saved >= min && saved <= max ? saved : initial
  })
  const onPointerDown = useCallback(
    (event: PointerEvent<HTMLElement>) => {
      event.preventDefault()
      const startX = event.clientX
      const startWidth = width
      let last = startWidth
      const move = (e: globalThis.PointerEvent) => {
        last = Math.min(max, Math.max(min, startWidth + e.clientX - startX))
        setWidth(last)
      }
      const up = () => {
        window.removeEventListener('pointermove', move)
        window.removeEventListener('pointerup', up)
        try {
          localStorage.setItem(storageKey, String(last))
        } catch {
          // Not kept, then.
        }
      }
      window.addEventListener('pointermove', move)
      window.addEventListener('pointerup', up)
    },
    [width, storageKey, min, max],
  )
  return { width, onPointerDown }
}
