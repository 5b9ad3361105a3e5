// A textarea for Extended JSON with the checker's verdict under it: where the mistake is (line and
// column; a click puts the caret there) and why. Checking runs on a deferred copy of the text, so
// typing in a big document stays smooth; `useChecked` says when the verdict is for the current text.
import { useDeferredValue, useMemo, useRef, type KeyboardEvent } from 'react'
import { describeProblem, type Checked } from './ejson'

/** The checker's verdict on `text`, and whether it is up to date (false while a newer text waits). */
export function useChecked<T>(text: string, check: (text: string) => Checked<T>): { checked: Checked<T>; current: boolean } {
  const deferred = useDeferredValue(text)
  const checked = useMemo(() => check(deferred), [deferred, check])
  return { checked, current: deferred === text }
}

interface Props {
  name: string
  label: string
  value: string
  onChange: (text: string) => void
  /** The verdict to show; an `ok` one shows nothing. */
  checked: Checked<unknown> | null
  rows?: number
  placeholder?: string
  /** Ctrl/Cmd+Enter. */
  onSubmit?: () => void
  readOnly?: boolean
}

export function JsonTextArea({ name, label, value, onChange, checked, rows = 12, placeholder, onSubmit, readOnly }: Props) {
  const area = useRef<HTMLTextAreaElement | null>(null)
  const problem = checked && !checked.ok ? checked.problem : null

  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && onSubmit) {
      event.preventDefault()
      onSubmit()
    } else if (event.key === 'Tab' && !event.shiftKey && !readOnly) {
      // Indent rather than leave the editor.
      event.preventDefault()
      const el = event.currentTarget
      const { selectionStart: start, selectionEnd: end } = el
      onChange(value.slice(0, start) + '  ' + value.slice(end))
      requestAnimationFrame(() => el.setSelectionRange(start + 2, start + 2))
    }
  }

  const goTo = () => {
    const el = area.current
    if (!el || !problem) return
    el.focus()
    el.setSelectionRange(problem.offset, Math.min(value.length, problem.offset + 1))
  }

  return (
    <div className="json-field">
      <textarea
        ref={area}
        name={name}
        aria-label={label}
        aria-invalid={problem ? true : undefined}
        className={problem ? 'json-input invalid' : 'json-input'}
        value={value}
        rows={rows}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        placeholder={placeholder}
        readOnly={readOnly}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={keyDown}
      />
      {problem && (
        <button type="button" className="json-problem" onClick={goTo} title="Put the cursor where the problem is">
          {describeProblem(problem)}
        </button>
      )}
    </div>
  )
}
