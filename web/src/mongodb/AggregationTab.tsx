// The aggregation tab: a pipeline (a JSON array of stages) checked as it is typed, run on the
// server within a time limit, and its results as Extended JSON. The server returns at most 1,000
// results and says when it cut; they are shown 50 at a time.
import { useState } from 'react'
import { mongodb, type MongoAggregation, type MongoConn } from '../api'
import { formatCount } from '../format'
import { checkPipeline } from './shell'
import { MongoError } from './errors'
import { JsonDocuments } from './JsonDocuments'
import { JsonTextArea, useChecked } from './JsonTextArea'

const STARTER = '[\n  { "$match": {} },\n  { "$limit": 20 }\n]'
const SHOW_STEP = 50

export function AggregationTab({ at, db, collection }: { at: MongoConn; db: string; collection: string }) {
  const [text, setText] = useState(STARTER)
  const [maxTime, setMaxTime] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ answer: MongoAggregation; ms: number } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [shown, setShown] = useState(SHOW_STEP)
  const { checked, current } = useChecked(text, checkPipeline)
  const maxTimeMS = maxTime.trim() === '' ? undefined : Number(maxTime)
  const maxTimeValid = maxTimeMS === undefined || (Number.isInteger(maxTimeMS) && maxTimeMS > 0)
  const valid = checked.ok && current && maxTimeValid

  const run = async () => {
    if (!valid || busy || !checked.ok) return
    setBusy(true)
    setError(null)
    const started = performance.now()
    try {
      const answer = await mongodb.aggregate(at, db, collection, checked.value.ejson, { maxTimeMS })
      setResult({ answer, ms: Math.round(performance.now() - started) })
      setShown(SHOW_STEP)
    } catch (e) {
      setResult(null)
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const docs = result?.answer.documents ?? []
  return (
    <div className="aggregation-tab">
      <JsonTextArea
        name="pipeline"
        label="Pipeline (an array of stages, in Extended JSON or shell syntax)"
        value={text}
        onChange={setText}
        checked={current ? checked : null}
        rows={10}
        onSubmit={() => void run()}
      />
      <div className="toolbar run-bar">
        <button type="button" className="primary" disabled={!valid || busy} onClick={() => void run()} title="Ctrl+Enter / ⌘+Enter">
          {busy ? 'Running…' : 'Run'}
        </button>
        <label className="inline">
          <span className="muted small">Time limit (ms)</span>
          <input
            name="max-time"
            type="number"
            min={1}
            placeholder="30000"
            value={maxTime}
            onChange={(e) => setMaxTime(e.target.value)}
            className={maxTimeValid ? 'narrow' : 'narrow invalid'}
          />
        </label>
        <span className="muted small">Ctrl/⌘ + Enter runs · stages that write ($out, $merge) need the developer role</span>
      </div>
      <MongoError error={error} onDismiss={() => setError(null)} />
      {result && (
        <div className="results">
          <p className="muted small result-status">
            {formatCount(docs.length)} {docs.length === 1 ? 'result' : 'results'} · {result.ms} ms
          </p>
          {result.answer.truncated && (
            <p className="notice">
              Only the first {formatCount(result.answer.limit)} results are returned. Add a $limit, or a $match that narrows the
              pipeline.
            </p>
          )}
          {docs.length === 0 ? (
            <p className="empty">The pipeline ran and produced no documents.</p>
          ) : (
            <>
              <JsonDocuments documents={docs.slice(0, shown)} />
              {shown < docs.length && (
                <button type="button" onClick={() => setShown(shown + SHOW_STEP)}>
                  Show {formatCount(Math.min(SHOW_STEP, docs.length - shown))} more of {formatCount(docs.length - shown)}
                </button>
              )}
            </>
          )}
        </div>
      )}
      {!result && !error && <p className="empty">Write a pipeline and press Run (Ctrl/⌘ + Enter).</p>}
    </div>
  )
}
