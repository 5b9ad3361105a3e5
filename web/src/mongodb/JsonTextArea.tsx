// An editor (CodeMirror) for Extended JSON or shell syntax with the checker's verdict under it:
// where the mistake is (line and column; a click puts the caret there) and why. Checking runs on a deferred copy of the text, so
// typing in a big document stays smooth; `useChecked` says when the verdict is for the current text.
import { lazy, Suspense, useDeferredValue, useMemo, useRef } from 'react'
import type { CodeEditorHandle } from './CodeEditor'
import { describeProblem, type Checked } from './ejson'

// CodeMirror is a chunk of its own: the documents table opens without it.
const CodeEditor = lazy(() => import('./CodeEditor').then((m) => ({ default: m.CodeEditor })))

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
  const editor = useRef<CodeEditorHandle | null>(null)
  const problem = checked && !checked.ok ? checked.problem : null

  return (
    <div className="json-field">
      <Suspense fallback={<div className="code-editor muted small">Loading the editor…</div>}>
        <CodeEditor
          ref={editor}
          name={name}
          label={label}
          value={value}
          onChange={onChange}
          rows={rows}
          invalid={problem !== null}
          readOnly={readOnly}
          placeholder={placeholder}
          onSubmit={onSubmit}
        />
      </Suspense>
      {problem && (
        <button
          type="button"
          className="json-problem"
          onClick={() => editor.current?.select(problem.offset, problem.offset + 1)}
          title="Put the cursor where the problem is"
        >
          {describeProblem(problem)}
        </button>
      )}
    </div>
  )
}
