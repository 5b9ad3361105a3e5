// Documents as pretty-printed Extended JSON, exactly as the server wrote them (numbers, field
// order). A big document shows its first part until "Show all" is clicked: rendering megabytes of
// text at once is what freezes other tools.
import { useMemo, useState, type ReactNode } from 'react'
import type { MongoDocument } from '../api'
import { formatCount } from '../format'
import { prettyJson } from './ejson'

/** Characters of a document shown before "Show all". */
const PREVIEW = 6000

function JsonDocument({ doc, actions }: { doc: MongoDocument; actions?: ReactNode }) {
  const [all, setAll] = useState(false)
  const shown = useMemo(() => prettyJson(doc.text, all ? Infinity : PREVIEW), [doc.text, all])
  return (
    <article className="doc-card" data-id={doc.id ?? undefined}>
      {actions && <div className="doc-card-actions">{actions}</div>}
      <pre className="doc-json">
        {shown.text}
        {!shown.complete && '\n…'}
      </pre>
      {!shown.complete && (
        <button type="button" className="link small" onClick={() => setAll(true)}>
          Show all ({formatCount(doc.text.length)} characters)
        </button>
      )}
    </article>
  )
}

export function JsonDocuments({ documents, actions }: { documents: MongoDocument[]; actions?: (doc: MongoDocument) => ReactNode }) {
  return (
    <div className="doc-cards">
      {documents.map((doc, i) => (
        <JsonDocument key={`${i}:${doc.id ?? ''}`} doc={doc} actions={actions?.(doc)} />
      ))}
    </div>
  )
}
