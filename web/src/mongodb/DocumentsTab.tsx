// The documents of a collection: a query bar (filter, projection, sort in Extended JSON or the
// shell syntax of mongosh, read by ./shell and sent as canonical Extended JSON), one page at a time
// (skip/limit; the server reads one document past the page to know if more follow), a table and a
// JSON view, and insert, edit (replace or one field's `$set`) and delete.
//
// Big collections: no request reads more than a page. The total comes from the collection's
// metadata when there is no filter (free, so it rides along with the first page); with a filter it
// is counted by a separate request the server stops after 5 s, so the page never waits for it, and
// paging does not count again.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { canWrite, mongodb, type MongoConn, type MongoDocument, type MongoDocumentPage, type Role } from '../api'
import { errorText } from '../components/ErrorMessage'
import { formatCount } from '../format'
import { DocumentEditor, NEW_DOCUMENT } from './DocumentEditor'
import { DocumentInspector } from './DocumentInspector'
import { DocumentTable } from './DocumentTable'
import { compactText, describeProblem, prettyJson, type Json, type JsonObject } from './ejson'
import { MongoError } from './errors'
import { useChecked } from './JsonTextArea'
import { JsonDocuments } from './JsonDocuments'
import { BulkDialog } from './BulkDialog'
import { MongoImportDialog } from './MongoImportDialog'
import { ConfirmAction, RoleButton } from './roles'
import { canonicalOf, checkOptional } from './shell'

const PAGE_SIZES = [20, 50, 100, 200]

interface Props {
  at: MongoConn
  db: string
  collection: string
  role: Role | undefined
  /** After a write: document counts elsewhere on the page are stale. */
  onChanged: () => void
}

/** A query as sent: canonical Extended JSON of each part, '' when the part is empty. */
interface Query {
  filter: string
  projection: string
  sort: string
}

const NO_QUERY: Query = { filter: '', projection: '', sort: '' }

type Count =
  | { state: 'none' }
  | { state: 'counting' }
  | { state: 'done'; total: number; estimate: boolean }
  | { state: 'timed-out' }
  | { state: 'failed'; error: unknown }

type Editing = { mode: 'insert' } | { mode: 'edit'; doc: MongoDocument } | null

function idOf(doc: Json): Json | undefined {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as JsonObject)._id : undefined
}

const NO_ID = 'This document has no _id here (the projection left it out), so it cannot be edited or deleted from this view.'

export function DocumentsTab({ at, db, collection, role, onChanged }: Props) {
  const [filter, setFilter] = useState('')
  const [importing, setImporting] = useState(false)
  const [bulk, setBulk] = useState<'deleteMany' | 'updateMany' | null>(null)
  const [projection, setProjection] = useState('')
  const [sort, setSort] = useState('')
  const [query, setQuery] = useState<Query>(NO_QUERY)
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
  const [inspecting, setInspecting] = useState<{ doc: MongoDocument; focus?: string } | null>(null)
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
  // What the fields would send now; the page on screen answers `query` until Find is pressed.
  const typed: Query | null =
    filterCheck.checked.ok && projectionCheck.checked.ok && sortCheck.checked.ok
      ? {
          filter: filterCheck.checked.value?.ejson ?? '',
          projection: projectionCheck.checked.value?.ejson ?? '',
          sort: sortCheck.checked.value?.ejson ?? '',
        }
      : null

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
      const unfiltered = q.filter === ''
      if (recount) countGeneration.current++
      setLoading(true)
      setError(null)
      try {
        const result = await mongodb.find(at, db, collection, {
          filter: q.filter,
          projection: q.projection,
          sort: q.sort,
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
        if (mine !== generation.current) return
        // A refused query leaves nothing on screen that answers it.
        setError(e)
        setPage(null)
        setCount({ state: 'none' })
        countGeneration.current++
        return
      } finally {
        if (mine === generation.current) setLoading(false)
      }
      if (recount && !unfiltered) void countMatches(q.filter)
    },
    [at, db, collection, countMatches],
  )

  // The first page when the collection opens.
  useEffect(() => {
    void load(NO_QUERY, 0, 20, true)
    return () => {
      generation.current++
      countGeneration.current++
    }
  }, [load])

  const find = (event?: FormEvent) => {
    event?.preventDefault()
    if (!queryValid || typed === null) {
      // Refused here, before any request: the old page no longer answers what the fields say.
      generation.current++
      countGeneration.current++
      setPage(null)
      setCount({ state: 'none' })
      setLoading(false)
      return
    }
    const q = typed
    setQuery(q)
    setSkip(0)
    setNotice(null)
    void load(q, 0, limit, true)
  }

  const reset = () => {
    setFilter('')
    setProjection('')
    setSort('')
    const q = NO_QUERY
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

  /** Saves the editor's canonical Extended JSON; an inserted document is then shown by its `_id`. */
  const save = async (ejson: string) => {
    if (editing?.mode === 'edit' && editing.doc.id !== null) {
      await mongodb.replace(at, db, collection, editing.doc.id, ejson)
      setNotice('Document saved.')
      setEditing(null)
      refresh()
      return
    }
    const inserted = await mongodb.insert(at, db, collection, ejson)
    setEditing(null)
    onChanged()
    // The _id as typed (canonical already) or the one the server generated.
    const sent = (JSON.parse(ejson) as JsonObject)._id
    const id = sent !== undefined ? sent : canonicalOf(inserted.inserted_ids[0] as Json | undefined)
    if (id === undefined) {
      setNotice('Document inserted.')
      refresh()
      return
    }
    const byId = JSON.stringify({ _id: id })
    setFilter(byId)
    setProjection('')
    setSort('')
    const q = { filter: byId, projection: '', sort: '' }
    setQuery(q)
    setSkip(0)
    setNotice(`Document inserted with _id ${compactText(id, 80)}; the filter now shows it (Reset shows every document).`)
    void load(q, 0, limit, true)
  }

  /** Sets one field of a document, then shows the page (and the document) as stored. */
  const setField = async (doc: MongoDocument, path: string, valueEjson: string) => {
    if (doc.id === null) return
    await mongodb.update(at, db, collection, doc.id, `{"$set":{${JSON.stringify(path)}:${valueEjson}}}`)
    setNotice(`Field ${path} set.`)
    const whole = await mongodb.document(at, db, collection, doc.id)
    setInspecting((i) => (i ? { ...i, doc: whole } : i))
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
      <button type="button" className="small-button" disabled={doc.id === null} title={doc.id === null ? NO_ID : 'Expand nested values and edit one field'} onClick={() => setInspecting({ doc })}>
        Fields
      </button>
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
  const pages = count.state === 'done' ? Math.max(1, Math.ceil(count.total / limit)) : null
  return (
    <div className="documents-tab">
      <form className="query-bar" onSubmit={find} role="search" aria-label="Query">
        <label className="query-filter">
          <span>Filter</span>
          <input
            name="filter"
            className={`mono${filterCheck.checked.ok ? '' : ' invalid'}`}
            placeholder="{status: 'active', age: {$gte: 18}}  ·  Extended JSON or shell syntax"
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
            placeholder="{name: 1}"
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
            placeholder="{_id: -1}"
            value={sort}
            onChange={(e) => setSort(e.target.value)}
            spellCheck={false}
          />
        </label>
        <div className="query-buttons">
          <button type="submit" className="primary" disabled={loading} title={queryValid ? undefined : 'Fix the query first; Find clears the results'}>
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
        <RoleButton need="write" role={role} onClick={() => setImporting(true)}>
          Import…
        </RoleButton>
        <RoleButton need="write" role={role} onClick={() => setBulk('updateMany')} title="Update every document matching the current filter, after a dry run">
          Update matching…
        </RoleButton>
        <RoleButton need="write" role={role} className="danger-outline" onClick={() => setBulk('deleteMany')} title="Delete every document matching the current filter, after a dry run">
          Delete matching…
        </RoleButton>
        {(['ndjson', 'csv'] as const).map((format) => (
          <a
            key={format}
            className="button"
            href={mongodb.exportUrl(at, db, collection, query, format)}
            download={`${collection}.${format}`}
            title={`Every document matching the current filter, as ${format === 'csv' ? 'CSV (nested fields as dotted columns)' : 'Extended JSON, one per line'}`}
          >
            Export {format.toUpperCase()}
          </a>
        ))}
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
          <span className="small" aria-label="Page">
            Page {formatCount(pageNumber)}
            {pages !== null && count.state === 'done' && (
              <span title={count.estimate ? "The count is the collection's metadata (estimatedDocumentCount), so the last page may be off by a little" : undefined}>
                {' '}
                of {count.estimate ? '~' : ''}
                {formatCount(pages)}
              </span>
            )}
          </span>
          <button type="button" onClick={() => goTo(skip + limit)} disabled={loading || !page?.has_more}>
            Next ›
          </button>
          <button
            type="button"
            onClick={() => pages !== null && goTo((pages - 1) * limit)}
            disabled={loading || pages === null || pageNumber >= pages}
            aria-label="Last page"
            title={pages === null ? 'The number of matches is not known yet' : undefined}
          >
            »
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
      {docs.length > 0 && !queryValid && (
        <p className="muted small" role="status">
          These results answer the previous query, not the one in the fields.
        </p>
      )}
      <div className={docs.length > 0 && !queryValid ? 'stale' : undefined}>
        {docs.length > 0 &&
          (view === 'table' ? (
            <DocumentTable documents={docs} offset={skip} actions={actions} onInspect={(doc, field) => setInspecting({ doc, focus: field })} />
          ) : (
            <JsonDocuments documents={docs} actions={actions} />
          ))}
      </div>
      {inspecting && (
        <DocumentInspector
          key={`${inspecting.doc.id ?? ''}:${inspecting.focus ?? ''}`}
          doc={inspecting.doc}
          focus={inspecting.focus}
          writable={canWrite(role)}
          setField={(path, value) => setField(inspecting.doc, path, value)}
          onClose={() => setInspecting(null)}
        />
      )}
      {!page && loading && <p className="muted">Loading documents…</p>}

      {editing && (
        <DocumentEditor
          key={editing.mode === 'edit' ? `edit:${editing.doc.id ?? ''}` : 'insert'}
          mode={editing.mode}
          initialText={editing.mode === 'edit' ? prettyJson(editing.doc.text).text : NEW_DOCUMENT}
          originalId={editing.mode === 'edit' ? canonicalOf(idOf(editing.doc.value)) : undefined}
          save={save}
          onCancel={() => setEditing(null)}
        />
      )}
      {bulk && (
        <BulkDialog
          at={at}
          db={db}
          collection={collection}
          op={bulk}
          filter={query.filter}
          onClose={() => setBulk(null)}
          onDone={(done) => {
            setBulk(null)
            setNotice(bulk === 'deleteMany' ? `${done.deleted.toLocaleString()} documents deleted.` : `${done.modified.toLocaleString()} of ${done.matched.toLocaleString()} matching documents updated.`)
            refresh()
          }}
        />
      )}
      {importing && (
        <MongoImportDialog
          at={at}
          db={db}
          collection={collection}
          onDone={refresh}
          onClose={() => setImporting(false)}
        />
      )}
    </div>
  )
}
