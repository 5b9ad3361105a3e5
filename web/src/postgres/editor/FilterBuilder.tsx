// Filters as rows of (column, operator, value), applied together (AND). An `in` takes one value per
// line; `is` takes null, true or false; "is NULL" and "is not NULL" take none.
import { useState } from 'react'
import { FILTER_OPS, filterParam, OP_LABELS, opTakesValue, type Filter, type FilterOp } from './query'

interface Props {
  columns: string[]
  applied: Filter[]
  onApply: (filters: Filter[]) => void
}

export function FilterBuilder({ columns, applied, onApply }: Props) {
  const [drafts, setDrafts] = useState<Filter[]>(applied)
  const [problem, setProblem] = useState<string | null>(null)
  const update = (i: number, change: Partial<Filter>) => setDrafts(drafts.map((f, j) => (j === i ? { ...f, ...change } : f)))
  const apply = () => {
    const bad = drafts.find((f) => filterParam(f) === null)
    if (bad) {
      setProblem(`The filter on ${bad.column || '(no column)'} is not complete${bad.op === 'is' ? ': "is" takes null, true or false' : ''}.`)
      return
    }
    setProblem(null)
    onApply(drafts)
  }
  return (
    <div className="filter-builder" aria-label="Filters">
      {drafts.length === 0 && <p className="muted small">No filters: every row is shown.</p>}
      {drafts.map((f, i) => (
        <div className="filter-row" key={i} data-filter={i}>
          <select aria-label="Filter column" value={f.column} onChange={(e) => update(i, { column: e.target.value })}>
            {columns.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <select aria-label="Filter operator" value={f.op} onChange={(e) => update(i, { op: e.target.value as FilterOp })}>
            {FILTER_OPS.map((op) => (
              <option key={op} value={op}>
                {OP_LABELS[op]}
              </option>
            ))}
          </select>
          {f.op === 'is' ? (
            <select aria-label="Filter value" value={f.value} onChange={(e) => update(i, { value: e.target.value })}>
              <option value="">choose…</option>
              <option value="null">null</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : f.op === 'in' ? (
            <textarea aria-label="Filter value" rows={3} placeholder="one value per line" value={f.value} onChange={(e) => update(i, { value: e.target.value })} />
          ) : opTakesValue(f.op) ? (
            <input
              aria-label="Filter value"
              value={f.value}
              placeholder={f.op.includes('like') ? '%pattern%' : 'value'}
              onChange={(e) => update(i, { value: e.target.value })}
              onKeyDown={(e) => {
                if (e.key === 'Enter') apply()
              }}
            />
          ) : (
            <span />
          )}
          <button type="button" className="link" aria-label="Remove filter" onClick={() => setDrafts(drafts.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <div className="toolbar">
        <button type="button" onClick={() => setDrafts([...drafts, { column: columns[0] ?? '', op: 'eq', value: '' }])} disabled={columns.length === 0}>
          Add filter
        </button>
        <button type="button" className="primary" onClick={apply}>
          Apply filters
        </button>
        {applied.length > 0 && (
          <button
            type="button"
            onClick={() => {
              setDrafts([])
              onApply([])
            }}
          >
            Clear
          </button>
        )}
      </div>
    </div>
  )
}
