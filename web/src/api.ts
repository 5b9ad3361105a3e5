// The typed client of the Switchboard REST API: the only module that calls `fetch`.
//
// Every response is `{"data": …}` and every error `{"error": {"message", "code", "details"?}}`
// (except `POST /api/auth/token`, which answers the token unwrapped). The bearer token lives in
// memory and in sessionStorage (so a reload keeps the session, a new tab or a closed browser does
// not); a 401 on an authenticated call clears it and calls the handler set with `onUnauthorized`.

export type Role = 'viewer' | 'developer' | 'admin' | 'owner'
export type Engine = 'redis' | 'mongodb' | 'postgres'
export type ConnectionStatus = 'ACTIVE' | 'INACTIVE' | 'ERROR' | 'CONNECTING'
export type Encoding = 'utf8' | 'base64'
export type RedisType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream'

export interface Project {
  id: string
  ref: string
  name: string
  organization_id: string
  organization_slug: string
  created_at: string
  updated_at: string
  role: Role
}

export interface Connection {
  id: string
  project_id: string
  database_type: Engine
  identifier: string
  host: string
  port: number
  database_name: string | null
  username: string | null
  has_password: boolean
  has_connection_string: boolean
  options: Record<string, unknown>
  is_primary: boolean
  status: ConnectionStatus
  created_at: string
  updated_at: string
}

export interface KeySummary {
  key: string
  key_encoding: Encoding
  /** A Redis type, or `none` when the key vanished between SCAN and TYPE. */
  type: RedisType | 'none'
  /** Seconds to live: -1 without expiry, -2 if gone. */
  ttl: number
  /** Bytes of memory, when the server reports it. */
  size: number | null
}

export interface KeyPage {
  keys: KeySummary[]
  /** `"0"` when the walk is complete. */
  cursor: string
  total_scanned: number
  db_size: number
}

interface KeyMeta {
  key: string
  key_encoding: Encoding
  ttl: number
  size: number | null
  encoding: string | null
  value_encoding: Encoding
  length: number
}

export type KeyValue =
  | (KeyMeta & { type: 'string'; value: string; truncated: boolean })
  | (KeyMeta & { type: 'hash'; fields: Record<string, string>; cursor: string })
  | (KeyMeta & { type: 'set'; members: string[]; cursor: string })
  | (KeyMeta & { type: 'list'; values: string[]; start: number; stop: number })
  | (KeyMeta & { type: 'zset'; members: { member: string; score: number | null }[]; start: number; stop: number })
  | (KeyMeta & {
      type: 'stream'
      entries: { id: string; fields: Record<string, string> }[]
      next_start: string | null
    })

/** Where to read the next page of a value: the fields the server understands. */
export interface ValuePage {
  cursor?: string
  start?: number
  stop?: number
  stream_start?: string
  count?: number
}

/** What `POST /keys/{key}` takes: a value shaped for its type. */
export type NewKeyValue =
  | { type: 'string'; value: string }
  | { type: 'hash' | 'stream'; value: Record<string, string> }
  | { type: 'list' | 'set'; value: string[] }
  | { type: 'zset'; value: { member: string; score: number }[] }

/** A key as the server named it: text, or base64 for keys that are not UTF-8. */
export interface KeyName {
  key: string
  key_encoding: Encoding
}

/** An error answered by the server (or the network), with a message fit to show a person. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

const TOKEN_KEY = 'switchboard.token'

interface StoredToken {
  token: string
  /** Milliseconds since the epoch. */
  expiresAt: number
}

let current: StoredToken | null = load()
let unauthorized: () => void = () => {}

function load(): StoredToken | null {
  try {
    const raw = sessionStorage.getItem(TOKEN_KEY)
    if (!raw) return null
    const parsed = JSON.parse(raw) as Partial<StoredToken>
    if (typeof parsed.token !== 'string' || typeof parsed.expiresAt !== 'number') return null
    return { token: parsed.token, expiresAt: parsed.expiresAt }
  } catch {
    return null
  }
}

/** Whether a token is held that has not expired yet. */
export function isSignedIn(): boolean {
  if (current && current.expiresAt <= Date.now()) signOut()
  return current !== null
}

/** Forgets the token, in memory and in sessionStorage. */
export function signOut(): void {
  current = null
  try {
    sessionStorage.removeItem(TOKEN_KEY)
  } catch {
    // Storage can be unavailable (private mode); memory is cleared anyway.
  }
}

/** Sets what happens when the server answers 401 to an authenticated call (or the token expired). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler
}

function encodePathSegment(name: string): string {
  return encodeURIComponent(name)
}

/** The `{key}` path segment: percent-encoded text, or the raw bytes of a base64 key. */
export function keySegment(name: KeyName): string {
  if (name.key_encoding === 'utf8') return encodePathSegment(name.key)
  const bytes = atob(name.key)
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    out += '%' + bytes.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

type Query = Record<string, string | number | boolean | undefined | null>

function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/** Fetches with the bearer token; answers the response when it is a success, throws `ApiError` otherwise. */
async function fetchOk(
  method: string,
  path: string,
  body: unknown,
  authenticated: boolean,
  accept = 'application/json',
): Promise<Response> {
  const headers: Record<string, string> = { accept }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (authenticated) {
    if (!isSignedIn() || !current) {
      unauthorized()
      throw new ApiError(401, 'UNAUTHORIZED', 'Your session has ended; please sign in again.')
    }
    headers.authorization = `Bearer ${current.token}`
  }
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'The server cannot be reached. Check that Switchboard is running.')
  }
  if (response.ok) return response
  const text = await response.text()
  let json: unknown = undefined
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  const envelope = (json as { error?: { message?: unknown; code?: unknown; details?: unknown } } | undefined)?.error
  const message =
    typeof envelope?.message === 'string' && envelope.message
      ? envelope.message
      : `The server answered ${response.status} ${response.statusText}`.trim()
  const code = typeof envelope?.code === 'string' ? envelope.code : `HTTP_${response.status}`
  if (response.status === 401 && authenticated) {
    signOut()
    unauthorized()
  }
  throw new ApiError(response.status, code, message, envelope?.details)
}

async function sendWithHeaders(
  method: string,
  path: string,
  body: unknown,
  authenticated: boolean,
): Promise<{ json: unknown; headers: Headers }> {
  const response = await fetchOk(method, path, body, authenticated)
  if (response.status === 204) return { json: undefined, headers: response.headers }
  const text = await response.text()
  let json: unknown = undefined
  if (text) {
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
  }
  if (json === undefined) throw new ApiError(response.status, 'BAD_RESPONSE', 'The server sent an unreadable answer.')
  return { json, headers: response.headers }
}

async function send(method: string, path: string, body: unknown, authenticated: boolean): Promise<unknown> {
  return (await sendWithHeaders(method, path, body, authenticated)).json
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const json = (await send(method, path, body, true)) as { data: T } | undefined
  return json?.data as T
}

const platform = '/api/platform'

/** Signs in and keeps the token; rejects with the server's message on bad credentials. */
export async function signIn(email: string, password: string): Promise<void> {
  const json = (await send('POST', '/api/auth/token', { email, password }, false)) as {
    access_token: string
    token_type: string
    expires_in: number
  }
  current = { token: json.access_token, expiresAt: Date.now() + json.expires_in * 1000 }
  try {
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify(current))
  } catch {
    // Memory only, then.
  }
}

export const projects = {
  list: () => call<Project[]>('GET', `${platform}/projects`),
  get: (ref: string) => call<Project>('GET', `${platform}/projects/${encodePathSegment(ref)}`),
  databases: (ref: string) => call<Connection[]>('GET', `${platform}/projects/${encodePathSegment(ref)}/databases`),
}

function redisBase(ref: string): string {
  return `${platform}/redis/${encodePathSegment(ref)}`
}

export interface ScanOptions {
  pattern?: string
  cursor?: string
  count?: number
  type?: RedisType
  connectionId?: string
}

export const redis = {
  /** One SCAN page with type, TTL and size per key. */
  keys: (ref: string, o: ScanOptions = {}) =>
    call<KeyPage>(
      'GET',
      withQuery(`${redisBase(ref)}/keys`, {
        pattern: o.pattern,
        cursor: o.cursor,
        count: o.count,
        type: o.type,
        connection_id: o.connectionId,
      }),
    ),
  /** Metadata and one page of the value. */
  read: (ref: string, name: KeyName, page: ValuePage = {}, connectionId?: string) =>
    call<KeyValue>(
      'GET',
      withQuery(`${redisBase(ref)}/keys/${keySegment(name)}`, { ...page, connection_id: connectionId }),
    ),
  /** Creates a key that must not exist yet (`nx`). */
  create: (ref: string, key: string, value: NewKeyValue, ttl?: number, connectionId?: string) =>
    call<KeyValue>(
      'POST',
      withQuery(`${redisBase(ref)}/keys/${encodePathSegment(key)}`, { connection_id: connectionId }),
      { ...value, ttl, nx: true },
    ),
  /** Replaces the value of an existing key, keeping its TTL. */
  update: (ref: string, name: KeyName, value: NewKeyValue, connectionId?: string) =>
    call<KeyValue>(
      'PUT',
      withQuery(`${redisBase(ref)}/keys/${keySegment(name)}`, { connection_id: connectionId }),
      value,
    ),
  remove: (ref: string, name: KeyName, connectionId?: string) =>
    call<void>('DELETE', withQuery(`${redisBase(ref)}/keys/${keySegment(name)}`, { connection_id: connectionId })),
  /** `ttl > 0` sets the expiry, `-1` removes it. */
  expire: (ref: string, name: KeyName, ttl: number, connectionId?: string) =>
    call<{ ttl: number }>(
      'POST',
      withQuery(`${redisBase(ref)}/keys/${keySegment(name)}/expire`, { connection_id: connectionId }),
      { ttl },
    ),
}

function pgBase(ref: string): string {
  return `${platform}/pg-meta/${encodePathSegment(ref)}`
}

/** A row of a query result: column name to value, as PostgreSQL's types map to JSON. */
export type SqlRow = Record<string, unknown>

export interface QueryResult {
  rows: SqlRow[]
  /** Whether the server dropped rows past `rowCap`. */
  truncated: boolean
  rowCap: number | null
}

/** What PostgreSQL said about a failed statement (`details` of a `QUERY_ERROR`). */
export interface SqlErrorDetails {
  /** SQLSTATE, e.g. `42601`. */
  code?: string
  /** 1-based position in the query, in characters. */
  position?: number | null
  detail?: string | null
  hint?: string | null
}

/** The SQL details of an error, when the server gave them. */
export function sqlErrorDetails(error: unknown): SqlErrorDetails | null {
  if (!(error instanceof ApiError) || !error.details || typeof error.details !== 'object') return null
  const d = error.details as Record<string, unknown>
  return {
    code: typeof d.code === 'string' ? d.code : undefined,
    position: typeof d.position === 'number' ? d.position : null,
    detail: typeof d.detail === 'string' ? d.detail : null,
    hint: typeof d.hint === 'string' ? d.hint : null,
  }
}

export interface PgColumn {
  id: string
  name: string
  data_type: string
  format: string
  is_nullable: boolean
  ordinal_position: number
  default_value: string | null
}

export interface PgRelation {
  id: number
  schema: string
  name: string
  comment: string | null
  columns: PgColumn[]
  /** Tables only: an estimate of the rows. */
  live_rows_estimate?: number
}

export const pg = {
  /** Runs SQL (read-only for viewers, server-side); at most the row cap of rows come back. */
  query: async (ref: string, query: string, connectionId?: string): Promise<QueryResult> => {
    const { json, headers } = await sendWithHeaders(
      'POST',
      withQuery(`${pgBase(ref)}/query`, { connection_id: connectionId }),
      { query },
      true,
    )
    const cap = Number(headers.get('x-switchboard-row-cap'))
    return {
      rows: ((json as { data?: SqlRow[] }).data ?? []) as SqlRow[],
      truncated: headers.get('x-switchboard-truncated') === 'true',
      rowCap: Number.isFinite(cap) && cap > 0 ? cap : null,
    }
  },
  /** The plan of `EXPLAIN (FORMAT JSON)`, without running the statement. */
  explain: (ref: string, query: string, connectionId?: string) =>
    call<unknown>('POST', withQuery(`${pgBase(ref)}/query`, { connection_id: connectionId }), { query, explain: true }),
  /** The whole result as CSV (streamed by the server, without the row cap). */
  exportCsv: async (ref: string, query: string, connectionId?: string): Promise<Blob> => {
    const response = await fetchOk(
      'POST',
      withQuery(`${pgBase(ref)}/query`, { connection_id: connectionId }),
      { query },
      true,
      'text/csv',
    )
    try {
      return await response.blob()
    } catch {
      throw new ApiError(0, 'NETWORK_ERROR', 'The export was interrupted before it finished.')
    }
  },
  tables: (ref: string, connectionId?: string) =>
    call<PgRelation[]>('GET', withQuery(`${pgBase(ref)}/tables`, { connection_id: connectionId })),
  views: (ref: string, connectionId?: string) =>
    call<PgRelation[]>('GET', withQuery(`${pgBase(ref)}/views`, { connection_id: connectionId })),
}

/** Whether a role may change data (developer and above). */
export function canWrite(role: Role | undefined): boolean {
  return role !== undefined && role !== 'viewer'
}
