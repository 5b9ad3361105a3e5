// PostgreSQL imports in the Table Editor: a CSV or NDJSON file into the open table, or into a new
// table created from the file (the server previews the file's start: inferred column types, which
// can be changed, and the first 20 rows), with a progress bar and the bad rows by line.
import { useState, type FormEvent } from 'react'
import { importContentType, pgImports, type PgCreatedImport, type PgImportPreview, type PgImportReport, type PgTable } from '../../api'
import { ErrorMessage } from '../../components/ErrorMessage'
import { BadLines, ImportDialog } from '../../components/ImportDialog'

type OnError = 'stop' | 'skip'

const TYPES = ['bigint', 'numeric', 'boolean', 'date', 'timestamptz', 'jsonb', 'text']
/** Bytes of the file sent for the preview (the server reads its header and first 20 records). */
const PREVIEW_SLICE = 1024 * 1024

function badRows(r: PgImportReport) {
  return r.errors.map((e) => ({ line: e.line, message: e.column ? `${e.column}: ${e.message}` : e.message }))
}

function OnErrorChoice({ value, onChange }: { value: OnError; onChange: (v: OnError) => void }) {
  return (
    <label>
      A bad row
      <select name="on_error" value={value} onChange={(e) => onChange(e.target.value as OnError)}>
        <option value="stop">stops the import; nothing is written</option>
        <option value="skip">is skipped and reported; the good rows are written</option>
      </select>
    </label>
  )
}

/** Imports a file into `table`: CSV with a header naming its columns (each mapped to a table
 * column, by name unless changed), or NDJSON objects whose keys are column names. */
export function TableImportDialog({
  projectRef,
  connectionId,
  table,
  onDone,
  onClose,
}: {
  projectRef: string
  connectionId?: string
  table: PgTable
  onDone: () => void
  onClose: () => void
}) {
  const [onError, setOnError] = useState<OnError>('stop')
  // For a CSV: the file's header and the table column each of its columns goes to.
  const [header, setHeader] = useState<string[] | null>(null)
  const [mapping, setMapping] = useState<string[]>([])
  const names = table.columns.map((c) => c.name)
  const mapped = mapping.filter((m) => m !== '')
  const problem =
    header === null
      ? null
      : mapped.length < header.length
        ? 'Choose a table column for every column of the file.'
        : new Set(mapped).size < mapped.length
          ? 'Two columns of the file go to the same table column.'
          : null
  const renamed = header !== null && mapping.some((m, i) => m !== header[i])
  return (
    <ImportDialog<PgImportReport>
      title={`Import rows into ${table.schema}.${table.name}`}
      accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson"
      preview
      onPreview={(file, preview) => {
        const csv = file !== null && preview !== null && importContentType(file.name) === 'text/csv'
        setHeader(csv ? preview.columns : null)
        setMapping(csv ? preview.columns.map((c) => (names.includes(c) ? c : '')) : [])
      }}
      problem={problem}
      send={(file, progress) =>
        pgImports.intoTable(projectRef, table.id, file, onError, progress, connectionId, renamed ? mapping : undefined)
      }
      onDone={onDone}
      onClose={onClose}
      report={(r) => (
        <>
          <p>
            <strong>{r.rows.toLocaleString()}</strong> rows imported{r.skipped ? `, ${r.skipped.toLocaleString()} skipped` : ''}.
          </p>
          <BadLines failed={r.skipped} errors={badRows(r)} />
        </>
      )}
    >
      <p className="muted">CSV with a header line (its columns are mapped to the table's below), or one JSON object per line (NDJSON) keyed by column name.</p>
      <OnErrorChoice value={onError} onChange={setOnError} />
      {header !== null && (
        <fieldset className="import-mapping" aria-label="Column mapping">
          <legend>Columns of the file → columns of {table.name}</legend>
          {header.map((column, i) => (
            <label key={i} className="row">
              <span className="mono">{column || `(column ${i + 1})`}</span>
              <select
                name={`map-${i}`}
                value={mapping[i] ?? ''}
                onChange={(e) => setMapping((m) => m.map((v, j) => (j === i ? e.target.value : v)))}
              >
                <option value="">choose a column…</option>
                {names.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </fieldset>
      )}
    </ImportDialog>
  )
}

/** Creates a table from a file: the server's preview, the column types, then the import. */
export function CreateFromFileDialog({
  projectRef,
  connectionId,
  schema,
  onCreated,
  onClose,
}: {
  projectRef: string
  connectionId?: string
  schema: string
  onCreated: (tableId: number) => void
  onClose: () => void
}) {
  const [file, setFile] = useState<File | null>(null)
  const [name, setName] = useState('')
  const [preview, setPreview] = useState<PgImportPreview | null>(null)
  const [types, setTypes] = useState<string[]>([])
  const [onError, setOnError] = useState<OnError>('stop')
  const [sent, setSent] = useState<number | null>(null)
  const [result, setResult] = useState<PgCreatedImport | null>(null)
  const [error, setError] = useState<unknown>(null)
  const busy = sent !== null && result === null && error === null

  const choose = async (chosen: File | null) => {
    setFile(chosen)
    setPreview(null)
    setResult(null)
    setError(null)
    if (!chosen) return
    if (!name) setName(chosen.name.replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_'))
    try {
      const p = await pgImports.preview(projectRef, chosen.slice(0, PREVIEW_SLICE), importContentType(chosen.name), connectionId)
      setPreview(p)
      setTypes(p.columns.map((c) => c.type))
    } catch (e) {
      setError(e)
    }
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!file || !preview || !name.trim()) return
    setError(null)
    setSent(0)
    try {
      const r = await pgImports.createAndImport(
        projectRef,
        file,
        { schema, table: name.trim(), columns: preview.columns.map((c) => c.name), types, onError },
        (s) => setSent(s),
        connectionId,
      )
      setResult(r)
    } catch (e) {
      setError(e)
    }
  }

  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && onClose()}>
      <form className="dialog card import wide" role="dialog" aria-modal="true" aria-label="New table from a file" noValidate onSubmit={submit}>
        <h2>New table from a file</h2>
        <label>
          File <span className="muted">(CSV with a header line, or NDJSON)</span>
          <input type="file" name="file" accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson" disabled={busy} onChange={(e) => void choose(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Table name <span className="muted">in schema {schema}</span>
          <input name="table" value={name} onChange={(e) => setName(e.target.value)} disabled={busy} />
        </label>
        {preview && (
          <div className="import-preview" aria-label="Preview of the file">
            <p className="muted small">The columns as inferred from the first {preview.rows.length} rows (change a type if needed):</p>
            <table>
              <thead>
                <tr>
                  {preview.columns.map((c, i) => (
                    <th key={c.name}>
                      {c.name}
                      <br />
                      <select
                        aria-label={`Type of ${c.name}`}
                        value={types[i]}
                        onChange={(e) => setTypes((t) => t.map((old, j) => (j === i ? e.target.value : old)))}
                        disabled={busy}
                      >
                        {[...new Set([...TYPES, c.type])].map((t) => (
                          <option key={t} value={t}>
                            {t}
                          </option>
                        ))}
                      </select>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row, r) => (
                  <tr key={r}>
                    {row.map((v, c) => (
                      <td key={c} className={v === null ? 'muted' : undefined}>
                        {v === null ? 'NULL' : v}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <OnErrorChoice value={onError} onChange={setOnError} />
        {sent !== null && file && (
          <p className="muted" aria-live="polite">
            <progress value={sent} max={Math.max(file.size, 1)} /> {result ? 'Done.' : sent < file.size ? 'Uploading…' : 'Uploaded; committing…'}
          </p>
        )}
        <ErrorMessage error={error} />
        {result && (
          <div className="import-report">
            <p>
              Table <code>{`${schema}.${name}`}</code> created with <strong>{result.rows.toLocaleString()}</strong> rows
              {result.skipped ? ` (${result.skipped.toLocaleString()} skipped)` : ''}.
            </p>
            <BadLines failed={result.skipped} errors={badRows(result)} />
          </div>
        )}
        <div className="buttons">
          <button type="button" onClick={onClose} disabled={busy}>
            {result ? 'Close' : 'Cancel'}
          </button>
          {result ? (
            <button type="button" className="primary" onClick={() => onCreated(result.table_id)}>
              Open the table
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!file || !preview || !name.trim() || busy}>
              {busy ? 'Importing…' : 'Create table and import'}
            </button>
          )}
        </div>
      </form>
    </div>
  )
}
