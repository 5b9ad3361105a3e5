// The Schema tab, like Compass's: the server samples documents ($sample, optionally after a
// filter, within a time limit) and reports every field path; each field shows how often it is
// present and its mix of types as bars, and for the most common type its range, lengths and
// most frequent values.
import { useState } from 'react'
import { mongodbOps, type MongoConn, type MongoFieldType, type MongoSchema } from '../api'
import { formatCount } from '../format'
import { checkOptional } from './shell'
import { MongoError } from './errors'
import { useChecked } from './JsonTextArea'

const DEFAULT_SAMPLE = 1000
const MAX_SAMPLE = 10_000

function percent(p: number): string {
  return `${Math.round(p * 1000) / 10}%`
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

/** A type's facts in a line: range, string lengths, array lengths, element types. */
function facts(t: MongoFieldType): string[] {
  const out: string[] = []
  if (t.min !== null && t.min !== undefined) out.push(`min ${valueText(t.min)}`)
  if (t.max !== null && t.max !== undefined) out.push(`max ${valueText(t.max)}`)
  if (t.lengths) out.push(`length ${t.lengths.min}–${t.lengths.max} (avg ${Math.round(t.lengths.avg * 10) / 10})`)
  if (t.array_lengths) out.push(`${t.array_lengths.min}–${t.array_lengths.max} elements`)
  if (t.element_types) out.push(`of ${Object.entries(t.element_types).map(([k, n]) => `${k} ×${formatCount(n)}`).join(', ')}`)
  if (t.distinct !== null) out.push(`${formatCount(t.distinct)}${t.distinct_capped ? '+' : ''} distinct`)
  return out
}

function FieldRow({ field }: { field: MongoSchema['fields'][number] }) {
  const main = field.types[0]
  return (
    <li className="schema-field" data-path={field.path} style={{ paddingLeft: `${field.depth * 18}px` }}>
      <div className="schema-head">
        <strong className="schema-path">{field.path}</strong>
        <span className="muted small">
          {field.types.map((t) => t.type).join(' | ')} · in {formatCount(field.count)} ({percent(field.presence)})
        </span>
      </div>
      <div className="schema-bars">
        <div className="bar presence" title={`present in ${percent(field.presence)} of the sampled documents`} aria-label={`presence ${percent(field.presence)}`}>
          <div className="fill" style={{ width: percent(field.presence) }} />
        </div>
        <div className="bar types" aria-label="type mix">
          {field.types.map((t) => (
            <div key={t.type} className={`segment type-${t.type.toLowerCase()}`} style={{ width: percent(t.probability) }} title={`${t.type}: ${formatCount(t.count)} (${percent(t.probability)})`} data-type={t.type}>
              {t.probability >= 0.15 ? `${t.type} ${percent(t.probability)}` : ''}
            </div>
          ))}
        </div>
      </div>
      {main && (facts(main).length > 0 || main.top_values.length > 0) && (
        <div className="schema-facts small">
          {facts(main).length > 0 && <span className="muted">{facts(main).join(' · ')}</span>}
          {main.top_values.length > 0 && (
            <div className="top-values">
              {main.top_values.slice(0, 5).map((v, i) => (
                <span key={i} className="chip" title={`${formatCount(v.count)} times`}>
                  {valueText(v.value)} <span className="muted">×{formatCount(v.count)}</span>
                </span>
              ))}
            </div>
          )}
        </div>
      )}
    </li>
  )
}

export function SchemaTab({ at, db, collection }: { at: MongoConn; db: string; collection: string }) {
  const [sampleText, setSampleText] = useState(String(DEFAULT_SAMPLE))
  const [filter, setFilter] = useState('')
  const [busy, setBusy] = useState(false)
  const [schema, setSchema] = useState<MongoSchema | null>(null)
  const [error, setError] = useState<unknown>(null)
  const filterCheck = useChecked(filter, checkOptional)
  const sampleSize = Number(sampleText)
  const sampleValid = Number.isInteger(sampleSize) && sampleSize >= 1 && sampleSize <= MAX_SAMPLE
  const valid = sampleValid && filterCheck.checked.ok

  const analyse = async () => {
    if (!valid || busy || !filterCheck.checked.ok) return
    setBusy(true)
    setError(null)
    try {
      setSchema(await mongodbOps.schema(at, db, collection, sampleSize, filterCheck.checked.value?.ejson ?? ''))
    } catch (e) {
      setSchema(null)
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="schema-tab">
      <div className="toolbar run-bar">
        <input name="schema-filter" placeholder="Filter (optional), e.g. { kind: 'a' }" value={filter} onChange={(e) => setFilter(e.target.value)} className={filterCheck.checked.ok ? '' : 'invalid'} onKeyDown={(e) => e.key === 'Enter' && void analyse()} />
        <label className="inline">
          <span className="muted small">Sample size</span>
          <input name="sample-size" type="number" min={1} max={MAX_SAMPLE} value={sampleText} onChange={(e) => setSampleText(e.target.value)} className={sampleValid ? 'narrow' : 'narrow invalid'} />
        </label>
        <button type="button" className="primary" disabled={!valid || busy} onClick={() => void analyse()}>
          {busy ? 'Analysing…' : 'Analyse'}
        </button>
      </div>
      <MongoError error={error} onDismiss={() => setError(null)} />
      {schema && (
        <>
          <p className="muted small schema-status">
            {formatCount(schema.documents_sampled)} documents sampled · {formatCount(schema.fields.length)} fields · {schema.time_ms} ms
          </p>
          {schema.fields_truncated && <p className="notice">More than 1,000 field paths: the rest are left out.</p>}
          {schema.fields.length === 0 ? (
            <p className="empty">No documents to analyse.</p>
          ) : (
            <ul className="schema-fields">
              {schema.fields.map((f) => (
                <FieldRow key={f.path} field={f} />
              ))}
            </ul>
          )}
        </>
      )}
      {!schema && !error && <p className="empty">Press Analyse to sample {sampleValid ? formatCount(sampleSize) : 'some'} documents.</p>}
    </div>
  )
}
