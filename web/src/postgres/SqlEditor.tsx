// The SQL editor: a plain textarea (so typing, selection, undo and IME work as the browser does them)
// over a <pre> that draws the same text highlighted. Both share font, padding and scroll.
import { useMemo, useRef, type KeyboardEvent, type ReactNode } from 'react'
import { tokenize } from './sql'

interface Props {
  value: string
  onChange: (value: string) => void
  /** Ctrl/Cmd+Enter. */
  onRun: () => void
  /** The range to mark as the error, in UTF-16 offsets. */
  error?: { start: number; end: number } | null
}

export function highlight(text: string, error?: { start: number; end: number } | null): ReactNode[] {
  const out: ReactNode[] = []
  let key = 0
  const piece = (kind: string, start: number, end: number) => {
    if (end <= start) return
    const body = text.slice(start, end)
    out.push(
      kind === 'space' || kind === 'operator' || kind === 'identifier' ? (
        <span key={key++}>{body}</span>
      ) : (
        <span key={key++} className={`tok-${kind}`}>
          {body}
        </span>
      ),
    )
  }
  for (const t of tokenize(text)) {
    if (error && t.start < error.end && error.start < t.end) {
      const a = Math.max(t.start, error.start)
      const b = Math.min(t.end, error.end)
      piece(t.kind, t.start, a)
      out.push(
        <mark key={key++} className={`sql-error tok-${t.kind}`} data-error-position="">
          {text.slice(a, b)}
        </mark>,
      )
      piece(t.kind, b, t.end)
    } else piece(t.kind, t.start, t.end)
  }
  // A trailing newline needs something after it to take up a line in the <pre>.
  out.push(<span key={key++}>{'\n'}</span>)
  return out
}

export function SqlEditor({ value, onChange, onRun, error }: Props) {
  const pre = useRef<HTMLPreElement | null>(null)
  const highlighted = useMemo(() => highlight(value, error), [value, error])

  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      onRun()
    } else if (event.key === 'Tab' && !event.shiftKey) {
      // Indent rather than leave the editor.
      event.preventDefault()
      const area = event.currentTarget
      const { selectionStart, selectionEnd } = area
      const next = value.slice(0, selectionStart) + '  ' + value.slice(selectionEnd)
      onChange(next)
      requestAnimationFrame(() => area.setSelectionRange(selectionStart + 2, selectionStart + 2))
    }
  }

  return (
    <div className="sql-editor">
      <pre ref={pre} className="sql-layer" aria-hidden="true">
        {highlighted}
      </pre>
      <textarea
        name="sql"
        aria-label="SQL"
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={keyDown}
        onScroll={(e) => {
          if (pre.current) {
            pre.current.scrollTop = e.currentTarget.scrollTop
            pre.current.scrollLeft = e.currentTarget.scrollLeft
          }
        }}
      />
    </div>
  )
}
