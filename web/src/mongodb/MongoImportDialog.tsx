// Importing documents into a collection: NDJSON, a JSON array (Extended JSON honoured) or CSV (types
// inferred, dotted headers become nested fields); a preview of the first documents, the upload,
// and the report of the documents that failed, by position.
import { useState } from 'react'
import { mongodb, type MongoConn, type MongoImportReport } from '../api'
import { BadLines, ImportDialog } from '../components/ImportDialog'

export function MongoImportDialog({
  at,
  db,
  collection,
  onDone,
  onClose,
}: {
  at: MongoConn
  db: string
  collection: string
  onDone: () => void
  onClose: () => void
}) {
  const [ordered, setOrdered] = useState(false)
  return (
    <ImportDialog<MongoImportReport>
      title={`Import documents into ${collection}`}
      accept=".ndjson,.jsonl,.json,.csv,application/x-ndjson,application/json,text/csv"
      preview
      send={(file, progress) => mongodb.importFile(at, db, collection, file, ordered, progress)}
      onDone={onDone}
      onClose={onClose}
      report={(r) => (
        <>
          <p>
            <strong>{r.inserted.toLocaleString()}</strong> documents inserted
            {r.stopped ? '; the import stopped at the first failure.' : '.'}
          </p>
          <BadLines
            failed={r.failed}
            errors={r.errors.map((e) => ({
              line: e.line,
              message: `document ${e.index}: ${e.code !== null ? `(${e.code}) ` : ''}${e.message}`,
            }))}
          />
        </>
      )}
    >
      <p className="muted">
        One document per line (NDJSON), one JSON array, or CSV with a header line. Extended JSON keeps dates,
        ObjectIds and 64-bit integers exact.
      </p>
      <label className="inline">
        <input type="checkbox" checked={ordered} onChange={(e) => setOrdered(e.target.checked)} /> Stop at the first
        document that fails (ordered)
      </label>
    </ImportDialog>
  )
}
