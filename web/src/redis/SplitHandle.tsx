// The resizable split between the key list and the value pane: a handle dragged with the pointer
// or moved with the arrow keys; the width is remembered in localStorage.
import { useState, type CSSProperties, type KeyboardEvent, type PointerEvent } from 'react'

/** The key list's share of the width, in percent, within these bounds. */
const MIN = 25
const MAX = 80
const DEFAULT = 62

export interface Split {
  percent: number
  setPercent: (p: number) => void
  style: CSSProperties
}

function clamp(p: number): number {
  return Math.min(MAX, Math.max(MIN, p))
}

export function useSplit(storageKey: string): Split {
  const [percent, setRaw] = useState(() => {
    const saved = Number(localStorage.getItem(storageKey))
    return Number.isFinite(saved) && saved > 0 ? clamp(saved) : DEFAULT
  })
  const setPercent = (p: number) => {
    const next = clamp(p)
    setRaw(next)
    try {
      localStorage.setItem(storageKey, String(next))
    } catch {
      // Unavailable storage only means the width is not remembered.
    }
  }
  return { percent, setPercent, style: { '--keys-width': `${percent}%` } as CSSProperties }
}

export function SplitHandle({ split }: { split: Split }) {
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    const container = event.currentTarget.parentElement
    if (!container) return
    event.currentTarget.setPointerCapture(event.pointerId)
    const box = container.getBoundingClientRect()
    const move = (e: globalThis.PointerEvent) => split.setPercent(((e.clientX - box.left) / box.width) * 100)
    const target = event.currentTarget
    const up = () => {
      target.removeEventListener('pointermove', move)
      target.removeEventListener('pointerup', up)
    }
    target.addEventListener('pointermove', move)
    target.addEventListener('pointerup', up)
  }
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'ArrowLeft') split.setPercent(split.percent - 2)
    else if (event.key === 'ArrowRight') split.setPercent(split.percent + 2)
  }
  return (
    <div
      className="split-handle"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the key list"
      aria-valuenow={Math.round(split.percent)}
      aria-valuemin={MIN}
      aria-valuemax={MAX}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  )
}
