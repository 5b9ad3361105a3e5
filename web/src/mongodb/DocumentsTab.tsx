// The documents of a collection: a query bar (filter, projection, sort as Extended JSON), one page
// at a time (skip/limit; the server reads one document past the page to know if more follow), a
// table and a JSON view, and insert, edit (replace) and delete.
//
// Big collections: no request reads more than a page. The total comes from the collection's
// metadata when there is no filter (free, so it rides along with the first page); with a filter it
// is counted by a separate request the server stops after 5 s, so the page never waits for it, and
// paging does not count again.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { mongodb, type MongoConn, type MongoDocument, type MongoDocumentPage, type Role } from '../api'
import { errorText } from '../components/ErrorMessage'
import { formatCount } from '../format'
import { DocumentEditor, NEW_DOCUMENT } from './DocumentEditor'
import { DocumentTable } from './DocumentTable'
import { compactText, checkObject, describeProblem, prettyJson, type Checked, type Json, type JsonObject } from './ejson'
import { MongoError } from './errors'
import { useChecked } from './JsonTextArea'
import { JsonDocuments } from './JsonDocuments'
import { ConfirmAction, RoleButton } from './roles'

const PAGE_SIZES = [20, 50, 100, 200]

interface Props {
  at: MongoConn
  db: string
  collection: string
  role: Role | undefined
  /** After a write: document counts elsewhere on the page are stale. */
  onChanged: () => void
}

interface Query {
  filter: string
  projection: string
  sort: string
}

type Count =
  | { state: 'none' }
  | { state: 'counting' }
  | { state: 'done'; total: number; estimate: boolean }
  | { state: 'timed-out' }
  | { state: 'failed'; error: unknown }

type Editing = { mode: 'insert' } | { mode: 'edit'; doc: MongoDocument } | null

const EMPTY_OK: Checked<JsonObject> = { ok: true, value: {} }

/** An optional query part: empty is fine, anything else must be an Extended JSON object. */
function checkOptional(text: string): Checked<JsonObject> {
  return text.trim() === '' ? EMPTY_OK : checkObject(text)
}

function idOf(doc: Json): Json | undefined {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as JsonObject)._id : undefined
}

const NO_ID = 'This document has no _id here (the projection left it out), so it cannot be edited or deleted from this view.'

export function DocumentsTab({ at, db, collection, role, onChanged }: Props) {
  const [filter, setFilter] = useState('')
  const [projection, setProjection] = useState('')
  const [sort, setSort] = useState('')
  const [query, setQuery] = useState<Query>({ filter: '', projection: '', sort: '' })
  const [limit, setLimit] = useState(20)
  const [skip, setSkip] = useState(0)
  const [page, setPage] = useState<MongoDocumentPage | null>(null)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [count, setCount] = useState<Count>({ state: 'none' })
  const [view, setView] = useState<'table' | 'json'>('table')
  const [editing, setEditing] = useState<Editing>(null)
  const [opening, setOpening] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const generation = useRef(0)
  const countGeneration = useRef(0)

  const filterCheck = useChecked(filter, checkOptional)
  const projectionCheck = useChecked(projection, checkOptional)
  const sortCheck = useChecked(sort, checkOptional)
  const problems = (
    [
      ['Filter', filterCheck.checked],
      ['Projection', projectionCheck.checked],
      ['Sort', sortCheck.checked],
    ] as const
  ).flatMap(([what, c]) => (c.ok ? [] : [`${what}: ${describeProblem(c.problem).replace(/^Line 1, c/, 'C')}`]))
  const queryValid = problems.length === 0 && filterCheck.current && projectionCheck.current && sortCheck.current

  /** Counts the matches of `filterText` on the side; an empty filter's total comes with the page. */
  const countMatches = useCallback(
    async (filterText: string) => {
      const mine = ++countGeneration.current
      setCount({ state: 'counting' })
      try {
        const counted = await mongodb.find(at, db, collection, { filter: filterText, limit: 1, count: true })
        if (mine !== countGeneration.current) return
        setCount(
          counted.total === null ? { state: 'timed-out' } : { state: 'done', total: counted.total, estimate: counted.total_is_estimate },
        )
      } catch (e) {
        if (mine === countGeneration.current) setCount({ state: 'failed', error: e })
      }
    },
    [at, db, collection],
  )

  const load = useCallback(
    async (q: Query, from: number, size: number, recount: boolean) => {
      const mine = ++generation.current
      const unfiltered = q.filter.trim() === ''
      if (recount) countGeneration.current++
      setLoading(true)
      setError(null)
      try {
        const result = await mongodb.find(at, db, collection, {
          filter: q.filter.trim(),
          projection: q.projection.trim(),
          sort: q.sort.trim(),
          limit: size,
          skip: from,
          // The metadata count is free; a filtered count runs on its own, below.
          count: recount && unfiltered,
        })
        if (mine !== generation.current) return
        // A delete can empty the last page: step back to one that has documents.
        if (result.documents.length === 0 && from > 0) {
          setSkip(Math.max(0, from - size))
          void load(q, Math.max(0, from - size), size, false)
          return
        }
        setPage(result)
        if (recount && unfiltered) {
          setCount(
            result.total === null ? { state: 'timed-out' } : { state: 'done', total: result.total, estimate: result.total_is_estimate },
          )
        }
      } catch (e) {
        if (mine === generation.current) setError(e)
      } finally {
        if (mine === generation.current) setLoading(false)
      }
      if (recount && !unfiltered) void countMatches(q.filter.trim())
    },
    [at, db, collection, countMatches],
  )

  // The first page when the collection opens.
  useEffect(() => {
    void load({ filter: '', projection: '', sort: '' }, 0, 20, true)
    return () => {
      generation.current++
      countGeneration.current++
    }
  }, [load])

  const find = (event?: FormEvent) => {
    event?.preventDefault()
    if (!queryValid) return
    const q = { filter, projection, sort }
    setQuery(q)
    setSkip(0)
    setNotice(null)
    void load(q, 0, limit, true)
  }

  const reset = () => {
    setFilter('')
    setProjection('')
    setSort('')
    const q = { filter: '', projection: '', sort: '' }
    setQuery(q)
    setSkip(0)
    void load(q, 0, limit, true)
  }

  const goTo = (from: number) => {
    setSkip(from)
    void load(query, from, limit, false)
  }

  const changeLimit = (size: number) => {
    setLimit(size)
    setSkip(0)
    void load(query, 0, size, false)
  }

  /** Reloads the page after a write; the count too, since it may have changed. */
  const refresh = () => {
    onChanged()
    void load(query, skip, limit, true)
  }

  const remove = async (doc: MongoDocument) => {
    if (doc.id === null) return
    setError(null)
    try {
      await mongodb.remove(at, db, collection, doc.id)
      setNotice('Document deleted.')
      refresh()
    } catch (e) {
      setError(e)
    }
  }

  /** Opens the editor on the whole stored document (the page may show a projection of it). */
  const edit = async (doc: MongoDocument) => {
    if (doc.id === null) return
    setOpening(doc.id)
    setError(null)
    try {
      const whole = await mongodb.document(at, db, collection, doc.id)
      setEditing({ mode: 'edit', doc: whole })
    } catch (e) {
      setError(e)
    } finally {
      setOpening(null)
    }
  }

  const save = async (text: string) => {
    if (editing?.mode === 'edit' && editing.doc.id !== null) {
      await mongodb.replace(at, db, collection, editing.doc.id, text)
      setNotice('Document saved.')
    } else {
      const inserted = await mongodb.insert(at, db, collection, text)
      const id = inserted.inserted_ids[0] as Json | undefined
      setNotice(id === undefined ? 'Document inserted.' : `Document inserted with _id ${compactText(id, 80)}.`)
    }
    setEditing(null)
    refresh()
  }

  const actions = (doc: MongoDocument) => (
    <>
      <RoleButton
        need="write"
        role={role}
        className="small-button"
        disabled={doc.id === null || opening !== null}
        title={doc.id === null ? NO_ID : 'Edit the whole document'}
        onClick={() => void edit(doc)}
      >
        {opening === doc.id ? 'Opening…' : 'Edit'}
      </RoleButton>
      <ConfirmAction
        label="Delete"
        need="write"
        role={role}
        className="danger-outline small-button"
        disabled={doc.id === null}
        title={doc.id === null ? NO_ID : undefined}
        onConfirm={() => remove(doc)}
      />
    </>
  )

  const docs = page?.documents ?? []
  const filtered = query.filter.trim() !== ''
  const pageNumber = Math.floor(skip / limit) + 1
  return (
    <div className="documents-tab">
      <form className="query-bar" onSubmit={find} role="search" aria-label="Query">
        <label className="query-filter">
          <span>Filter</span>
          <input
            name="filter"
            className={`mono${filterCheck.checked.ok ? '' : ' invalid'}`}
            placeholder='{"status": "active", "age": {"$gte": 18}}'
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            spellCheck={false}
          />
        </label>
        <label>
          <span>Projection</span>
          <input
            name="projection"
            className={`mono${projectionCheck.checked.ok ? '' : ' invalid'}`}
            placeholder='{"name": 1}'
            value={projection}
            onChange={(e) => setProjection(e.target.value)}
            spellCheck={false}
          />
        </label>
        <label>
          <span>Sort</span>
          <input
            name="sort"
            className={`mono${sortCheck.checked.ok ? '' : ' invalid'}`}
            placeholder='{"_id": -1}'
            value={sort}
            onChange={(e) => setSort(e.target.value)}
            spellCheck={false}
          />
        </label>
        <div className="query-buttons">
          <button type="submit" className="primary" disabled={!queryValid || loading}>
            Find
          </button>
          <button type="button" onClick={reset} disabled={loading}>
            Reset
          </button>
        </div>
      </form>
      {problems.map((p) => (
        <p key={p} className="json-problem-line" role="status">
          {p}
        </p>
      ))}

      <div className="toolbar doc-toolbar">
        <RoleButton need="write" role={role} className="primary" onClick={() => setEditing({ mode: 'insert' })}>
          Insert Document
        </RoleButton>
        <div className="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={view === 'table'} onClick={() => setView('table')}>
            Table
          </button>
          <button type="button" aria-pressed={view === 'json'} onClick={() => setView('json')}>
            JSON
          </button>
        </div>
        <span className="muted small doc-status" aria-live="polite">
          {page && docs.length > 0 && (
            <>
              Showing {formatCount(skip + 1)}–{formatCount(skip + docs.length)}
              {count.state === 'done' && (
                <>
                  {' '}
                  of {formatCount(count.total)}
                  {count.estimate && <span title="From the collection's metadata (estimatedDocumentCount): instant, and may drift slightly"> (estimated)</span>}
                </>
              )}
              {count.state === 'counting' && ' of … (counting)'}
            </>
          )}
          {count.state === 'timed-out' && <span title="The server stops counting after 5 seconds so a big collection is not scanned"> · too many matches to count quickly</span>}
          {loading && ' · loading…'}
        </span>
        <div className="pager">
          <label className="inline">
            <span className="muted small">Per page</span>
            <select name="limit" value={limit} onChange={(e) => changeLimit(Number(e.target.value))} aria-label="Documents per page">
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => goTo(0)} disabled={loading || skip === 0} aria-label="First page">
            «
          </button>
          <button type="button" onClick={() => goTo(Math.max(0, skip - limit))} disabled={loading || skip === 0}>
            ‹ Previous
          </button>
          <span className="small">Page {formatCount(pageNumber)}</span>
          <button type="button" onClick={() => goTo(skip + limit)} disabled={loading || !page?.has_more}>
            Next ›
          </button>
        </div>
      </div>

      {notice && (
        <p className="notice ok-notice" role="status">
          {notice}{' '}
          <button type="button" className="link" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </p>
      )}
      <MongoError error={error} onDismiss={() => setError(null)} />
      {count.state === 'failed' && (
        <p className="muted small">Counting the matches failed ({errorText(count.error)}); the documents are shown anyway.</p>
      )}

      {page && docs.length === 0 && !loading && (
        <div className="empty">
          {filtered ? (
            <p>No document matches this filter. Change it, or press Reset to see every document.</p>
          ) : (
            <p>This collection has no documents yet. Add one with “Insert Document”.</p>
          )}
        </div>
      )}
      {docs.length > 0 &&
        (view === 'table' ? <DocumentTable documents={docs} offset={skip} actions={actions} /> : <JsonDocuments documents={docs} actions={actions} />)}
      {!page && loading && <p className="muted">Loading documents…</p>}

      {editing && (
        <DocumentEditor
          key={editing.mode === 'edit' ? `edit:${editing.doc.id ?? ''}` : 'insert'}
          mode={editing.mode}
          initialText={editing.mode === 'edit' ? prettyJson(editing.doc.text).text : NEW_DOCUMENT}
          originalId={editing.mode === 'edit' ? idOf(editing.doc.value) : undefined}
          save={save}
          onCancel={() => setEditing(null)}
        />
      )}
    </div>
  )
}
