// A typed editor for one value: a text box, a number box (text, checked, never rounded), true/false,
// JSON, a pick of the enum's labels, a date, a time or a timestamp. NULL is a checkbox of its own,
// so an empty text box is the empty string and never NULL.
import type { KeyboardEvent, ReactNode } from 'react'
import type { RowColumn } from '../../api'
import { editorKind, type Draft } from './cells'

interface Props {
  column: Pick<RowColumn, 'name' | 'type' | 'format' | 'enum_values' | 'nullable' | 'editor'>
  draft: Draft
  onChange: (draft: Draft) => void
  /** Enter (Ctrl/⌘ + Enter in a multi-line box). */
  onSubmit?: () => void
  autoFocus?: boolean
  disabled?: boolean
}

export function CellEditor({ column, draft, onChange, onSubmit, autoFocus, disabled }: Props) {
  const kind = editorKind(column)
  const set = (text: string) => onChange({ isNull: false, text })
  const id = `cell-${column.name}`
  const keys = (multiLine: boolean) => (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (!multiLine || e.ctrlKey || e.metaKey)) {
      e.preventDefault()
      onSubmit?.()
    }
  }
  const common = { id, disabled: disabled || draft.isNull, autoFocus, 'aria-label': column.name, 'data-editor': kind }
  let input: ReactNode
  switch (kind) {
    case 'boolean':
      input = (
        <select {...common} value={draft.isNull ? '' : draft.text} onChange={(e) => set(e.target.value)}>
          {draft.text !== 'true' && draft.text !== 'false' && <option value="">choose…</option>}
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      )
      break
    case 'enum':
      input = (
        <select {...common} value={draft.isNull ? '' : draft.text} onChange={(e) => set(e.target.value)}>
          {!column.enum_values?.includes(draft.text) && <option value="">choose…</option>}
          {(column.enum_values ?? []).map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      )
      break
    case 'json':
    case 'array':
    case 'text':
      input = (
        <textarea
          {...common}
          className={kind === 'text' ? undefined : 'mono'}
          rows={kind === 'text' ? Math.min(8, Math.max(2, draft.text.split('\n').length)) : 8}
          value={draft.text}
          spellCheck={kind === 'text'}
          onChange={(e) => set(e.target.value)}
          onKeyDown={keys(true)}
        />
      )
      break
    case 'date':
      input = <input {...common} type="date" value={draft.text} onChange={(e) => set(e.target.value)} onKeyDown={keys(false)} />
      break
    default:
      input = (
        <input
          {...common}
          className="mono"
          type="text"
          inputMode={kind === 'integer' || kind === 'bigint' ? 'numeric' : kind === 'decimal' || kind === 'float' ? 'decimal' : undefined}
          placeholder={PLACEHOLDERS[kind]}
          value={draft.text}
          onChange={(e) => set(e.target.value)}
          onKeyDown={keys(false)}
        />
      )
  }
  return (
    <div className="cell-editor">
      {input}
      <div className="cell-editor-extras">
        <span className="muted small mono">{column.type}</span>
        {kind === 'timestamp' && !draft.isNull && (
          <button type="button" className="link small" disabled={disabled} onClick={() => set(new Date().toISOString())}>
            Now
          </button>
        )}
        {column.nullable && (
          <label className="inline small">
            <input
              type="checkbox"
              checked={draft.isNull}
              disabled={disabled}
              aria-label={`${column.name} is NULL`}
              onChange={(e) => onChange({ isNull: e.target.checked, text: draft.text })}
            />
            NULL
          </label>
        )}
      </div>
    </div>
  )
}

const PLACEHOLDERS: Partial<Record<string, string>> = {
  integer: '0',
  bigint: '0',
  decimal: '0.00',
  float: '0.0',
  time: 'HH:MM:SS',
  timestamp: 'YYYY-MM-DD HH:MM:SS+00',
  uuid: '00000000-0000-0000-0000-000000000000',
  bytea: '\\x…',
}
