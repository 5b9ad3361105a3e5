// Horizontal bars for a few labelled amounts (namespaces, types, TTL buckets): plain elements, so
// they need no chart library and stay readable as text.
import { Fragment } from 'react'

export interface Bar {
  label: string
  value: number
  /** A second figure shown after the amount. */
  detail?: string
}

export function Bars({ items, format, label }: { items: Bar[]; format: (n: number) => string; label: string }) {
  const max = Math.max(1, ...items.map((i) => i.value))
  return (
    <div className="bars" role="group" aria-label={label}>
      {items.map((item) => (
        <Fragment key={item.label}>
          <div className="bar-label mono" title={item.label}>
            {item.label}
          </div>
          <div className="bar-track" aria-hidden="true">
            <div className="bar-fill" style={{ width: `${(item.value / max) * 100}%` }} />
          </div>
          <div className="bar-value">
            {format(item.value)}
            {item.detail && <span className="muted"> · {item.detail}</span>}
          </div>
        </Fragment>
      ))}
    </div>
  )
}
