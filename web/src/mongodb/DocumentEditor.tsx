// "Insert Document" and "Edit": one Extended JSON editor in a dialog. The text is checked as it is
// typed (JSON syntax with line and column, the shapes of $oid, $date, $numberLong…, and for an edit
// that the _id stays); Save stays disabled until it passes, so a bad document never reaches the
// server. What is saved is the text as typed: field order and number types are kept.
import { useCallback, useState } from 'react'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatCount } from '../format'
import { prettyJson, type Json } from './ejson'
import { checkDocument, checkReplacement } from './shell'
import { JsonTextArea, useChecked } from './JsonTextArea'

interface Props {
  /** Insert a new document, or edit (replace) a stored one whose `_id` is `originalId`. */
  mode: 'insert' | 'edit'
  initialText: string
  originalId?: Json
  /** Sends the text; rejects with an error to show. */
  save: (text: string) => Promise<void>
  onCancel: () => void
}

export const NEW_DOCUMENT = '{\n  \n}'

export function DocumentEditor({ mode, initialText, originalId, save, onCancel }: Props) {
  const [text, setText] = useState(initialText)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const check = useCallback(
    (t: string) => (mode === 'edit' ? checkReplacement(t, originalId) : checkDocument(t)),
    [mode, originalId],
  )
  const { checked, current } = useChecked(text, check)
  const valid = checked.ok && current

  const submit = async () => {
    if (!valid || busy || !checked.ok) return
    setBusy(true)
    setError(null)
    try {
      await save(checked.value.ejson)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  const title = mode === 'insert' ? 'Insert Document' : 'Edit Document'
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && onCancel()}>
      <div className="dialog card wide" role="dialog" aria-modal="true" aria-labelledby="document-editor-title">
        <h2 id="document-editor-title">{title}</h2>
        <p className="muted small">
          Extended JSON (<code>{'{"$oid": "…"}'}</code>, <code>{'{"$date": "2026-01-01T00:00:00Z"}'}</code>) or shell syntax (
          <code>{"{_id: ObjectId('…'), at: ISODate('2026-01-01'), n: NumberLong('42')}"}</code>).{' '}
          {mode === 'edit' ? 'Saving replaces the whole document; its _id stays.' : 'Without an _id, the server adds an ObjectId.'}
        </p>
        <JsonTextArea
          name="document"
          label="Document (Extended JSON or shell syntax)"
          value={text}
          onChange={setText}
          checked={current ? checked : null}
          rows={16}
          onSubmit={() => void submit()}
        />
        <ErrorMessage error={error} onDismiss={() => setError(null)} />
        <div className="buttons">
          <span className="muted small editor-size">{formatCount(text.length)} characters · Ctrl/⌘ + Enter saves</span>
          <button
            type="button"
            disabled={!valid}
            title="Re-indent the text (numbers and field order are kept)"
            onClick={() => setText(prettyJson(text).text)}
          >
            Format
          </button>
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            disabled={!valid || busy}
            title={!checked.ok ? 'Fix the Extended JSON first' : undefined}
            onClick={() => void submit()}
          >
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </div>
    </div>
  )
}
