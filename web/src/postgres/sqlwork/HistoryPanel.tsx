// What ran on this connection, newest first: when, how long, how it ended. A click opens the SQL in
// a new tab.
import type { HistoryEntry } from './drafts'

export function HistoryPanel({ entries, onOpen, onClear }: { entries: HistoryEntry[]; onOpen: (sql: string) => void; onClear: () => void }) {
  return (
    <div className="history-panel" aria-label="History">
      {entries.length === 0 ? (
        <p className="muted small">Nothing ran here yet.</p>
      ) : (
        <button type="button" className="link small" onClick={onClear}>
          Clear history
        </button>
      )}
      <ol className="history-list">
        {entries.map((e) => (
          <li key={`${e.at}-${e.sql.length}`} data-outcome={e.outcome}>
            <button type="button" className="link mono history-sql" title={e.sql.slice(0, 2000)} onClick={() => onOpen(e.sql)}>
              {e.sql.replace(/\s+/g, ' ').slice(0, 80)}
            </button>
            <span className={`small ${e.outcome === 'ok' ? 'muted' : 'history-failed'}`}>
              {new Date(e.at).toLocaleTimeString()} · {e.ms} ms · {e.outcome === 'ok' ? e.summary : e.outcome === 'canceled' ? 'canceled' : `error: ${e.summary}`}
            </span>
          </li>
        ))}
      </ol>
    </div>
  )
}
