// SQL work kept in localStorage per signed-in user and connection, so a reload, a sign-out or a
// 401 loses nothing: the query tabs (text, names, which one is open) and a bounded history of what
// ran. Nothing here is cleared on sign-out: it is the user's, on their own browser.

export interface SqlTab {
  id: string
  title: string
  sql: string
}

export interface TabsState {
  tabs: SqlTab[]
  active: string
}

export type HistoryOutcome = 'ok' | 'error' | 'canceled'

export interface HistoryEntry {
  sql: string
  /** Milliseconds since the epoch. */
  at: number
  /** How long it took, in milliseconds. */
  ms: number
  outcome: HistoryOutcome
  /** `UPDATE 1`, `SELECT 10`, or the error's message. */
  summary: string
}

/** Most history entries kept per user and connection; the oldest go first. */
export const HISTORY_LIMIT = 100
/** Longest SQL text kept in the history, in characters. */
export const HISTORY_SQL_LIMIT = 20_000

const PREFIX = 'switchboard.sql.v1'

export function tabsKey(userId: string, connectionId: string): string {
  return `${PREFIX}.tabs.${userId}.${connectionId}`
}

export function historyKey(userId: string, connectionId: string): string {
  return `${PREFIX}.history.${userId}.${connectionId}`
}

/** A random id (crypto.randomUUID needs a secure context; the console may be served over http). */
export function newId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function newTab(sql = '', title?: string, taken: SqlTab[] = []): SqlTab {
  let n = taken.length + 1
  while (!title && taken.some((t) => t.title === `Query ${n}`)) n++
  return { id: newId(), title: title ?? `Query ${n}`, sql }
}

function read(key: string): unknown {
  try {
    const raw = localStorage.getItem(key)
    return raw ? (JSON.parse(raw) as unknown) : null
  } catch {
    return null
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // Storage full or unavailable: the work stays in memory for this page.
  }
}

/** The saved tabs, or one empty tab when there are none (or they do not parse). */
export function loadTabs(key: string): TabsState {
  const saved = read(key) as Partial<TabsState> | null
  const tabs = Array.isArray(saved?.tabs)
    ? saved.tabs.filter((t): t is SqlTab => typeof t?.id === 'string' && typeof t.title === 'string' && typeof t.sql === 'string')
    : []
  if (tabs.length === 0) {
    const first = newTab()
    return { tabs: [first], active: first.id }
  }
  const active = tabs.some((t) => t.id === saved?.active) ? saved!.active! : tabs[0]!.id
  return { tabs, active }
}

export function saveTabs(key: string, state: TabsState): void {
  write(key, state)
}

/** A tab closed: the neighbour becomes active; closing the last leaves one empty tab. */
export function closeTab(state: TabsState, id: string): TabsState {
  const index = state.tabs.findIndex((t) => t.id === id)
  if (index === -1) return state
  const tabs = state.tabs.filter((t) => t.id !== id)
  if (tabs.length === 0) {
    const fresh = newTab()
    return { tabs: [fresh], active: fresh.id }
  }
  const active = state.active === id ? tabs[Math.min(index, tabs.length - 1)]!.id : state.active
  return { tabs, active }
}

export function loadHistory(key: string): HistoryEntry[] {
  const saved = read(key)
  return Array.isArray(saved) ? (saved as HistoryEntry[]).filter((e) => typeof e?.sql === 'string' && typeof e.at === 'number') : []
}

/** Adds an entry (newest first) and keeps at most `HISTORY_LIMIT`. */
export function addHistory(key: string, entry: HistoryEntry): HistoryEntry[] {
  const kept = { ...entry, sql: entry.sql.slice(0, HISTORY_SQL_LIMIT) }
  const next = [kept, ...loadHistory(key)].slice(0, HISTORY_LIMIT)
  write(key, next)
  return next
}

export function clearHistory(key: string): void {
  write(key, [])
}

/** `UPDATE 1`, `SELECT 3`, `CREATE TABLE`: the command tag as psql prints it (INSERT without its oid). */
export function commandTag(command: string | null, rowsAffected: number | null, rowCount: number): string {
  if (!command) return `${rowCount} ${rowCount === 1 ? 'row' : 'rows'}`
  const counted = /^(SELECT|INSERT|UPDATE|DELETE|MERGE|COPY|FETCH|MOVE)$/.test(command)
  return counted && rowsAffected !== null ? `${command} ${rowsAffected}` : command
}

/** Whether a command changes the schema, so the table list is read again. */
export function isSchemaChange(command: string | null): boolean {
  return command !== null && /^(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE|TRUNCATE|REFRESH|IMPORT|SECURITY)\b/.test(command)
}
