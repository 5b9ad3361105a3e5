// Importing keys from an export file (NDJSON): what to do with keys that exist, the upload, and
// the report with the lines the server refused.
import { useState } from 'react'
import { redisTools, type RedisImportReport } from '../api'
import { BadLines, ImportDialog } from '../components/ImportDialog'

type OnConflict = 'skip' | 'replace' | 'fail'

export function RedisImportDialog({
  projectRef,
  connectionId,
  onDone,
  onClose,
}: {
  projectRef: string
  connectionId?: string
  onDone: () => void
  onClose: () => void
}) {
  const [onConflict, setOnConflict] = useState<OnConflict>('skip')
  return (
    <ImportDialog<RedisImportReport>
      title="Import keys"
      accept=".ndjson,.jsonl,.json,application/x-ndjson"
      send={(file, progress) => redisTools.importFile(projectRef, file, onConflict, progress, connectionId)}
      onDone={onDone}
      onClose={onClose}
      report={(r) => (
        <>
          <p>
            <strong>{r.keys.toLocaleString()}</strong> keys imported, {r.skipped.toLocaleString()} skipped (they existed),
            from {r.lines.toLocaleString()} lines.
          </p>
          <BadLines errors={r.errors} failed={r.failed} />
        </>
      )}
    >
      <p className="muted">
        A file written by Export: one key per line with its type, TTL and value (binary values kept).
      </p>
      <label>
        Keys that already exist
        <select name="on_conflict" value={onConflict} onChange={(e) => setOnConflict(e.target.value as OnConflict)}>
          <option value="skip">Keep them (skip the imported key)</option>
          <option value="replace">Replace them</option>
          <option value="fail">Stop the import</option>
        </select>
      </label>
    </ImportDialog>
  )
}
