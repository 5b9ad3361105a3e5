// An import: choose a file, set the engine's options, upload it with a progress bar (the server
// reads it as a stream), then read the report. Each engine passes its options, how to send the
// file and how to show its report (the bad lines with their numbers).
import { useState, type ReactNode } from 'react'
import { ErrorMessage } from './ErrorMessage'
import { PREVIEW_BYTES, previewCsv, previewJson, type Preview } from './importPreview'

export function ImportDialog<R>({
  title,
  accept,
  children,
  send,
  report,
  onDone,
  onClose,
  preview = false,
  onPreview,
  problem,
}: {
  title: string
  /** The file input's `accept` (e.g. `.ndjson,.jsonl`). */
  accept: string
  /** The engine's options, shown above the file input. */
  children?: ReactNode
  /** Uploads the file, calling `progress` as bytes go out; answers the server's report. */
  send: (file: File, progress: (sent: number, total: number) => void) => Promise<R>
  /** The report, once the server answered. */
  report: (r: R) => ReactNode
  /** Called once an import has ended (so the page can reload what it shows). */
  onDone?: (r: R) => void
  onClose: () => void
  /** Show the first records of the chosen file and their inferred types before the upload. */
  preview?: boolean
  /** Called with the chosen file and its preview (null until read, or without `preview`). */
  onPreview?: (file: File | null, preview: Preview | null) => void
  /** Why the import cannot start yet (e.g. an incomplete mapping); shown, and the button waits. */
  problem?: string | null
}) {
  const [file, setFile] = useState<File | null>(null)
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null)
  const [result, setResult] = useState<R | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [shown, setShown] = useState<Preview | null>(null)
  const busy = sent !== null && result === null && error === null

  const choose = (chosen: File | null) => {
    setFile(chosen)
    setResult(null)
    setSent(null)
    setShown(null)
    onPreview?.(chosen, null)
    if (!chosen || !preview) return
    void chosen
      .slice(0, PREVIEW_BYTES)
      .text()
      .then((head) => {
        const read = chosen.name.toLowerCase().endsWith('.csv') ? previewCsv(head) : previewJson(head)
        setShown(read)
        onPreview?.(chosen, read)
      })
  }

  const start = async () => {
    if (!file) return
    setError(null)
    setResult(null)
    setSent({ sent: 0, total: file.size })
    try {
      const r = await send(file, (s, total) => setSent({ sent: s, total }))
      setResult(r)
      onDone?.(r)
    } catch (e) {
      setError(e)
    }
  }

  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && onClose()}>
      <form
        className="dialog card import"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          void start()
        }}
      >
        <h2>{title}</h2>
        {children}
        <label>
          File
          <input
            type="file"
            name="file"
            accept={accept}
            disabled={busy}
            onChange={(e) => choose(e.target.files?.[0] ?? null)}
          />
        </label>
        {shown && <PreviewTable preview={shown} />}
        {file && problem && !busy && (
          <p className="muted" role="note">
            {problem}
          </p>
        )}
        {sent && (
          <p className="muted" aria-live="polite">
            <progress value={sent.sent} max={Math.max(sent.total, 1)} />{' '}
            {result !== null
              ? 'Done.'
              : sent.sent < sent.total
                ? `Uploading… ${formatMiB(sent.sent)} of ${formatMiB(sent.total)}`
                : 'Uploaded; the server is writing the last batch…'}
          </p>
        )}
        <ErrorMessage error={error} />
        {result !== null && <div className="import-report">{report(result)}</div>}
        <div className="buttons">
          <button type="button" onClick={onClose} disabled={busy}>
            {result !== null ? 'Close' : 'Cancel'}
          </button>
          <button type="submit" className="primary" disabled={!file || busy || !!problem}>
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
    </div>
  )
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
}

/** The bad lines of an import report: line number and reason, as a table. */
export function BadLines({ errors, failed }: { errors: { line: number; message: string }[]; failed: number }) {
  if (failed === 0) return null
  return (
    <>
      <p>
        {failed.toLocaleString()} line{failed === 1 ? '' : 's'} failed
        {failed > errors.length ? ` (the first ${errors.length} are listed)` : ''}:
      </p>
      <table className="bad-lines">
        <thead>
          <tr>
            <th>Line</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {errors.map((e) => (
            <tr key={e.line} data-line={e.line}>
              <td className="mono">{e.line}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** The first records of a file, each column headed by its name and inferred type. */
function PreviewTable({ preview }: { preview: Preview }) {
  if (preview.columns.length === 0) return <p className="muted">Nothing to preview in the start of this file.</p>
  return (
    <div className="import-preview" aria-label="Preview of the file">
      <p className="muted small">The first {preview.rows.length} records, as they will be read:</p>
      <table>
        <thead>
          <tr>
            {preview.columns.map((c, i) => (
              <th key={i}>
                {c}
                <br />
                <span className="muted small" data-type={preview.types[i]}>
                  {preview.types[i]}
                </span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, r) => (
            <tr key={r}>
              {preview.columns.map((_, c) => (
                <td key={c}>{row[c] ?? ''}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
