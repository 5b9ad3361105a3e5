// "Delete/Update documents matching…": the current filter's dry run (the count and 20 of the
// documents), then the change only once the user has typed that count; the server refuses a run
// without the dry run's confirmation.
import { useEffect, useState } from 'react'
import { mongodb, type MongoBulkDone, type MongoBulkPreview, type MongoConn } from '../api'
import { TypedConfirm } from '../components/ConfirmAction'
import { ErrorMessage } from '../components/ErrorMessage'

export function BulkDialog({
  at,
  db,
  collection,
  op,
  filter,
  onDone,
  onClose,
}: {
  at: MongoConn
  db: string
  collection: string
  op: 'deleteMany' | 'updateMany'
  /** The current filter, canonical Extended JSON ('' for every document). */
  filter: string
  onDone: (done: MongoBulkDone) => void
  onClose: () => void
}) {
  const [update, setUpdate] = useState('{"$set": {}}')
  const [preview, setPreview] = useState<MongoBulkPreview | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [previewed, setPreviewed] = useState(op === 'deleteMany')

  const dryRun = async () => {
    setError(null)
    setPreview(null)
    try {
      const p = await mongodb.bulk(at, db, collection, { op, filter, update: op === 'updateMany' ? update : undefined }, { dryRun: true })
      setPreview(p as MongoBulkPreview)
    } catch (e) {
      setError(e)
    }
  }
  useEffect(() => {
    if (previewed) void dryRun()
    // The dry run follows the change asked for; an update is previewed when the user says so.
  }, [previewed])

  if (!previewed) {
    return (
      <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
        <form
          className="dialog card"
          role="dialog"
          aria-modal="true"
          aria-label="Update documents matching the filter"
          onSubmit={(e) => {
            e.preventDefault()
            setPreviewed(true)
          }}
        >
          <h2>Update every document matching {filter ? <code>{filter}</code> : 'no filter (every document)'}</h2>
          <label>
            Update (operators such as <code>$set</code>, or a pipeline)
            <textarea name="update" rows={4} value={update} onChange={(e) => setUpdate(e.target.value)} className="mono" />
          </label>
          <div className="buttons">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary">
              Count the matches
            </button>
          </div>
        </form>
      </div>
    )
  }

  const count = preview?.matched
  const what = op === 'deleteMany' ? 'Delete' : 'Update'
  return (
    <TypedConfirm
      title={`${what} every document of ${collection} matching ${filter || '{}'}?`}
      name={preview && count !== null && count !== undefined ? String(count) : '\u0000'}
      what="documents"
      losses={op === 'deleteMany' ? [{ label: 'documents', count: count ?? null, estimate: preview?.matched_capped }] : []}
      confirmLabel={`${what} documents`}
      prompt={
        <>
          Type the number of documents <code>{count ?? '…'}</code> to confirm
        </>
      }
      onConfirm={async () => {
        if (!preview) throw new Error('The dry run has not answered yet.')
        const done = await mongodb.bulk(at, db, collection, { op, filter, update: op === 'updateMany' ? update : undefined }, { confirm: preview.confirm })
        onDone(done as MongoBulkDone)
      }}
      onCancel={onClose}
    >
      <ErrorMessage error={error} />
      {preview ? (
        <>
          <p className="muted">
            {preview.matched === null
              ? 'Too many matches to count within 5 seconds: the change cannot be confirmed by its count; narrow the filter.'
              : `${preview.matched.toLocaleString()}${preview.matched_capped ? '+' : ''} documents match${op === 'updateMany' ? `; the update is ${update}` : ''}. Some of them:`}
          </p>
          <ul className="sample" aria-label="Some of the matching documents">
            {preview.sample.map((doc, i) => (
              <li key={i}>
                <code>{JSON.stringify(doc).slice(0, 160)}</code>
              </li>
            ))}
          </ul>
        </>
      ) : (
        !error && <p className="muted">Counting the matching documents…</p>
      )}
    </TypedConfirm>
  )
}
