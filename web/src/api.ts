// The typed client of the Switchboard REST API: the only module that calls `fetch`.
//
// Every response is `{"data": …}` and every error `{"error": {"message", "code", "details"?}}`
// (except `POST /api/auth/token`, which answers the token unwrapped). The console is signed in by an
// HttpOnly session cookie (it survives reloads and new tabs); unsafe calls carry the session's
// CSRF token. A 401 on an authenticated call calls the handler set with `onUnauthorized`.
import { parseSse } from './sse'
import { documentsOf, rawMember, type RawDocument } from './mongodb/ejson'
import type { EngineName } from './engines/registry'
import type { EditorKind } from './postgres/editor/cells'

export type Role = 'viewer' | 'developer' | 'admin' | 'owner'
/** A database engine's name in the API; the console's engine registry is where each is listed. */
export type Engine = EngineName
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
  /** PostgreSQL: the login viewers' SQL runs as, if the connection has one. */
  viewer_username?: string | null
  has_viewer_password?: boolean
  /** What the last test or save found about the logins' powers on the database host. */
  privileges?: ConnectionPrivileges | null
  options: Record<string, unknown>
  is_primary: boolean
  /** CONNECTING until first checked; then what the last health check, test or use found. */
  status: ConnectionStatus
  /** Why the last check or use failed; null while the connection works. */
  status_error?: string | null
  /** When the status was last found. */
  status_checked_at?: string | null
  created_at: string
  updated_at: string
}

/** Host powers (superuser, server programs, server files) of a PostgreSQL connection's logins. */
export interface ConnectionPrivileges {
  host_powers: string[]
  viewer_host_powers: string[] | null
  /** How viewers' SQL runs: as the viewer login, as the connection's own login, or not at all. */
  viewer_sql: 'viewer_credentials' | 'connection_login' | 'refused'
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
  | (KeyMeta & {
      type: 'zset'
      members: { member: string; score: number | null }[]
      /** Index range read (absent for a member search, which pages with `cursor`). */
      start: number
      stop: number
      /** A member search (`contains`/`match`) pages by ZSCAN cursor instead of index. */
      cursor?: string
      /** Members within the score range asked for (`min`/`max`). */
      in_range?: number
      order?: 'asc' | 'desc'
    })
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
  /** A string whole, however big (the default is its first MiB, marked `truncated`). */
  full?: boolean
  /** Hash, set, sorted set: only elements matching this glob (HSCAN/SSCAN/ZSCAN MATCH). */
  match?: string
  /** Like `match`, a plain text the elements contain (the server escapes glob characters). */
  contains?: string
  /** Sorted set: highest score first. */
  rev?: boolean
  /** Sorted set: score range (`-inf`, a number, `(` before it for exclusive, `+inf`). */
  min?: string
  max?: string
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

/** Who is signed in to the console (`GET /api/auth/session`). */
export interface SessionInfo {
  user: User
  /** Sent back as `X-CSRF-Token` on every unsafe call of this session. */
  csrf_token: string
  created_at: string
  last_seen_at: string
  idle_expires_at: string
  expires_at: string
  user_agent: string | null
}

export interface User {
  id: string
  email: string
  is_superuser: boolean
  disabled: boolean
  created_at: string
}

// The session itself is an HttpOnly cookie the page cannot read; the page keeps only who is
// signed in and the session's CSRF token, learnt from the server at start-up and at sign-in.
let session: SessionInfo | null = null
let unauthorized: () => void = () => {}

/** Whether the console holds a session (as last learnt from the server). */
export function isSignedIn(): boolean {
  return session !== null
}

/** The session last learnt from the server. */
export function currentSession(): SessionInfo | null {
  return session
}

/**
 * Forgets the session in this page only (the cookie is the server's to end: see `endSession`).
 * Never touches localStorage: drafts live there.
 */
export function signOut(): void {
  session = null
}

const forgetSession = signOut

/** Sets what happens when the server answers 401 to an authenticated call. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler
}

/** A path segment of a URL: a name percent-encoded. */
export function encodePathSegment(name: string): string {
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

/** Query parameters; unset and empty ones are left out. */
export type Query = Record<string, string | number | boolean | undefined | null>

/** `path` with `query`'s set parameters after it. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/**
 * A request body that is already JSON text, sent as written: MongoDB documents and pipelines the
 * user typed keep their field order and number types (a JavaScript object would reorder
 * integer-like field names and round 64-bit integers).
 */
export class JsonText {
  constructor(readonly text: string) {}
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
  const unsafe = method !== 'GET' && method !== 'HEAD'
  const attempt = async (): Promise<Response> => {
    if (unsafe && session) headers['x-csrf-token'] = session.csrf_token
    try {
      return await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : body instanceof JsonText ? body.text : JSON.stringify(body),
      })
    } catch {
      throw new ApiError(0, 'NETWORK_ERROR', 'The server cannot be reached. Check that Switchboard is running.')
    }
  }
  let response = await attempt()
  // Signing in again in another tab starts a new session with a new CSRF token: learn it once
  // and retry, rather than refusing the user's change.
  if (response.status === 403 && unsafe && authenticated && (await mentionsCsrf(response.clone()))) {
    if (await loadSession()) response = await attempt()
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
    forgetSession()
    unauthorized()
  }
  throw new ApiError(response.status, code, message, envelope?.details)
}

async function mentionsCsrf(response: Response): Promise<boolean> {
  try {
    return (await response.text()).includes('X-CSRF-Token')
  } catch {
    return false
  }
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

async function call<T>(method: string, path: string, body?: unknown, authenticated = true): Promise<T> {
  const json = (await send(method, path, body, authenticated)) as { data: T } | undefined
  return json?.data as T
}

const platform = '/api/platform'

/**
 * Streams a file to an import route (`path` from `/api/platform/`), reporting bytes sent; answers
 * the route's `data`. XMLHttpRequest rather than fetch: only it reports upload progress.
 */
export function uploadFile<T>(
  path: string,
  file: Blob,
  contentType: string,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', path)
    xhr.setRequestHeader('content-type', contentType)
    xhr.setRequestHeader('accept', 'application/json')
    if (session) xhr.setRequestHeader('x-csrf-token', session.csrf_token)
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size)
    xhr.onerror = () =>
      reject(new ApiError(0, 'NETWORK_ERROR', 'The upload was cut off: check that Switchboard is running.'))
    xhr.onload = () => {
      let json: { data?: T; error?: { message?: string; code?: string; details?: unknown } } | undefined
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : undefined
      } catch {
        json = undefined
      }
      if (xhr.status >= 200 && xhr.status < 300 && json) return resolve(json.data as T)
      const error = json?.error
      reject(
        new ApiError(
          xhr.status,
          error?.code ?? `HTTP_${xhr.status}`,
          error?.message ?? `The server answered ${xhr.status}`,
          error?.details,
        ),
      )
    }
    xhr.send(file)
  })
}

/** A link that downloads an export (the session cookie signs it). */
export function exportUrl(path: string, query?: Query): string {
  return withQuery(path, query)
}

/**
 * A signed-in call of the platform API (`/api/platform/…`, `path` after that) answering
 * `{"data": …}`: for an engine's own module, which this file does not list.
 */
export function platformCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  return call<T>(method, `${platform}/${path}`, body)
}

/**
 * Asks the server who is signed in (the session cookie survives reloads and new tabs); `null`
 * without a session.
 */
export async function loadSession(): Promise<SessionInfo | null> {
  try {
    session = await call<SessionInfo>('GET', '/api/auth/session', undefined, false)
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      forgetSession()
      return null
    }
    throw e
  }
  return session
}

/** Signs in to the console (a session cookie); rejects with the server's message on bad credentials. */
export async function signIn(email: string, password: string): Promise<SessionInfo | null> {
  const json = (await send('POST', '/api/auth/session', { email, password }, false)) as { data?: SessionInfo }
  session = json.data ?? null
  return session
}

/** Signs this session out (the server ends it and clears the cookie). */
export async function endSession(): Promise<void> {
  try {
    await send('DELETE', '/api/auth/session', undefined, false)
  } finally {
    forgetSession()
  }
}

/** Ends every session of the user, in every browser, and every API bearer token issued to them. */
export async function signOutEverywhere(): Promise<number> {
  try {
    const json = (await send('DELETE', '/api/auth/sessions', undefined, false)) as { data: { sessions_ended: number } }
    return json.data.sessions_ended
  } finally {
    forgetSession()
  }
}

export const projects = {
  list: () => call<Project[]>('GET', `${platform}/projects`),
  get: (ref: string) => call<Project>('GET', `${platform}/projects/${encodePathSegment(ref)}`),
  databases: (ref: string) => call<Connection[]>('GET', `${platform}/projects/${encodePathSegment(ref)}/databases`),
}

// --- Connections (src/api/connections.rs): create, update, delete and test, per engine. ---

/** Body of create, update and unsaved test: fields or a `connection_string`, plus options. */
export interface ConnectionBody {
  identifier?: string
  host?: string
  port?: number
  database_name?: string
  username?: string
  /** Absent keeps the stored password, `null` clears it, a string sets it. */
  password?: string | null
  connection_string?: string
  /**
   * Replaces the stored options as a whole. Their names are the engine's (its connection-form spec
   * in `src/<engine>/engine.ts`); the server refuses any other with 400.
   */
  options?: Record<string, unknown>
  is_primary?: boolean
}

/** What a connection test found; an unreachable server is `success: false` with `error`, not an HTTP error. */
export interface ConnectionTestReport {
  success: boolean
  latency_ms?: number
  version?: string
  error?: string
  /** Redis. */
  mode?: string
  memory_used?: string
  /** MongoDB. */
  topology?: string
  /** PostgreSQL. */
  database?: string
  user?: string
}

function connectionsBase(engine: Engine, ref: string): string {
  return `${platform}/${engine}/${encodePathSegment(ref)}/connections`
}

export const connections = {
  list: (engine: Engine, ref: string) => call<Connection[]>('GET', connectionsBase(engine, ref)),
  create: (engine: Engine, ref: string, body: ConnectionBody) =>
    call<Connection>('POST', connectionsBase(engine, ref), body),
  /** Fields left out keep their stored values. */
  update: (engine: Engine, ref: string, id: string, body: ConnectionBody) =>
    call<Connection>('PUT', `${connectionsBase(engine, ref)}/${encodePathSegment(id)}`, body),
  remove: (engine: Engine, ref: string, id: string) =>
    call<void>('DELETE', `${connectionsBase(engine, ref)}/${encodePathSegment(id)}`),
  /** Tests a saved connection (any member) and records its status. */
  test: (engine: Engine, ref: string, id: string) =>
    call<ConnectionTestReport>('POST', `${connectionsBase(engine, ref)}/${encodePathSegment(id)}/test`),
  /** Tests settings before saving them (admins only: it makes the server connect where the body says). */
  testUnsaved: (engine: Engine, ref: string, body: ConnectionBody) =>
    call<ConnectionTestReport>('POST', `${connectionsBase(engine, ref)}/test`, body),
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
  /** Changes some elements of a collection in one MULTI/EXEC (PATCH); `{deleted: true}` when it emptied the key. */
  edit: (ref: string, name: KeyName, edit: KeyEdit, connectionId?: string) =>
    call<EditedKey>(
      'PATCH',
      withQuery(`${redisBase(ref)}/keys/${keySegment(name)}`, { connection_id: connectionId }),
      edit,
    ),
  /** INFO: typed fields plus every raw section. */
  info: (ref: string, connectionId?: string) =>
    call<RedisInfo>('GET', withQuery(`${redisBase(ref)}/info`, { connection_id: connectionId })),
  /** Active channels (PUBSUB CHANNELS + NUMSUB) and the count of pattern subscriptions (NUMPAT). */
  channels: async (ref: string, pattern?: string, connectionId?: string): Promise<ActiveChannels> => {
    const { json, headers } = await sendWithHeaders(
      'GET',
      withQuery(`${redisBase(ref)}/pubsub/channels`, { pattern, connection_id: connectionId }),
      undefined,
      true,
    )
    const numpat = Number(headers.get('x-pubsub-pattern-subscriptions'))
    return {
      channels: ((json as { data?: ChannelInfo[] }).data ?? []) as ChannelInfo[],
      patternSubscriptions: headers.has('x-pubsub-pattern-subscriptions') && Number.isFinite(numpat) ? numpat : null,
    }
  },
  /** PUBLISH: a string goes as it is. */
  publish: (ref: string, channel: string, message: string, connectionId?: string) =>
    call<{ subscribers_reached: number }>(
      'POST',
      withQuery(`${redisBase(ref)}/pubsub/publish`, { connection_id: connectionId }),
      { channel, message },
    ),
  /** Streams stats samples (SSE) until `signal` aborts or the server ends; see `streamRedisStats`. */
  stats: (ref: string, o: StatsOptions, onEvent: (e: StatsEvent) => void, signal: AbortSignal) =>
    streamRedisStats(ref, o, onEvent, signal),
}

// ---- Redis element edits, server stats and Pub/Sub (the console's Redis value editors, Server
// and Pub/Sub pages). The WebSocket and the event stream are opened here so that this module stays
// the only one that knows URLs and the token.

/** What `PATCH /keys/{key}` takes; which fields apply depends on the type of the key. */
export interface KeyEdit {
  /** Hash: fields to set. */
  set?: Record<string, string>
  /** List: values to push at the tail; set: members to add; sorted set: `{member, score}` to add or re-score. */
  add?: (string | { member: string; score: number })[]
  /** Hash fields, set or sorted-set members, stream ids, or list values (every occurrence) to remove. */
  remove?: string[]
  /** List: replace the element at an index (applied before `add` and `remove`). */
  set_index?: { index: number; value: string }
  /** How the strings of this body are encoded (base64 for binary elements). */
  value_encoding?: Encoding
}

/** The answer of an element edit: the key's first page, or `deleted` when the edit emptied it. */
export type EditedKey = KeyValue | { deleted: true }

/** A number of INFO, or null when the server did not report it. */
type InfoNumber = number | null

export interface RedisInfo {
  server: { version: string; mode: string; uptime_seconds: InfoNumber }
  memory: {
    used_memory: InfoNumber
    used_memory_human: string | null
    max_memory: InfoNumber
    eviction_policy: string | null
  }
  stats: {
    total_commands_processed: InfoNumber
    ops_per_sec: InfoNumber
    keyspace_hits: InfoNumber
    keyspace_misses: InfoNumber
    /** 0-1. */
    hit_rate: number
  }
  clients: { connected_clients: InfoNumber; blocked_clients: InfoNumber }
  persistence: { rdb_last_save_time: InfoNumber; aof_enabled: boolean }
  replication: { role: string | null; connected_slaves: InfoNumber }
  /** Keys per logical database (`db0` → 12). */
  keyspace: Record<string, number>
  /** Every INFO section, lower-cased (`server`, `memory`, …), field → value. */
  sections: Record<string, Record<string, string | number>>
}

/** One sample of the stats stream. */
export interface StatsSample {
  /** Milliseconds since the epoch. */
  timestamp_ms: number
  ops_per_sec: number
  used_memory: number
  connected_clients: number
  blocked_clients: number
  /** 0-1. */
  hit_rate: number
  input_kbps: number
  output_kbps: number
  keys: Record<string, number>
}

export interface StatsOptions {
  /** Seconds between samples, 1-60 (the server's default is 2). */
  interval?: number
  connectionId?: string
}

/** What the stats stream delivers: a sample, or a sampling error (the stream goes on). */
export type StatsEvent = { type: 'sample'; sample: StatsSample } | { type: 'error'; message: string }

/**
 * Reads `GET /stats` as server-sent events with fetch(), calling `onEvent` per event. Resolves when the server ends the stream or `signal`
 * aborts; rejects with an `ApiError` when it cannot start or breaks off.
 */
async function streamRedisStats(
  ref: string,
  o: StatsOptions,
  onEvent: (e: StatsEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetchOk(
    'GET',
    withQuery(`${redisBase(ref)}/stats`, { interval: o.interval, connection_id: o.connectionId }),
    undefined,
    true,
    'text/event-stream',
  )
  if (!response.body) throw new ApiError(0, 'BAD_RESPONSE', 'The browser cannot read the stats stream.')
  const reader = response.body.getReader()
  const stop = () => void reader.cancel().catch(() => {})
  if (signal.aborted) return stop()
  signal.addEventListener('abort', stop)
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || signal.aborted) return
      const parsed = parseSse(buffer + decoder.decode(value, { stream: true }))
      buffer = parsed.rest
      for (const e of parsed.events) {
        if (e.event === 'error') {
          onEvent({ type: 'error', message: e.data })
        } else if (e.event === 'sample') {
          try {
            onEvent({ type: 'sample', sample: JSON.parse(e.data) as StatsSample })
          } catch {
            onEvent({ type: 'error', message: 'The server sent an unreadable sample.' })
          }
        }
      }
    }
  } catch {
    if (!signal.aborted) throw new ApiError(0, 'NETWORK_ERROR', 'The stats stream was interrupted.')
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

/** An active channel (`pattern` is always false: Redis lists channels, not pattern subscriptions). */
export interface ChannelInfo {
  channel: string
  subscribers: number
  pattern: boolean
}

export interface ActiveChannels {
  channels: ChannelInfo[]
  /** PUBSUB NUMPAT, when the server reported it. */
  patternSubscriptions: number | null
}

/** What the subscribe socket sends. */
export type PubSubServerMessage =
  | {
      type: 'message'
      channel: string
      /** The pattern that matched, for a pattern subscription. */
      pattern?: string
      data: string
      data_encoding?: 'base64'
    }
  /** Messages the server dropped because this client read too slowly. */
  | { type: 'missed'; count: number }
  | {
      type: 'subscribed' | 'unsubscribed' | 'psubscribed' | 'punsubscribed'
      channels: string[]
      patterns?: string[]
    }
  | { type: 'error'; message: string }

/** What the client may send on the socket. */
export interface PubSubCommand {
  type: 'subscribe' | 'unsubscribe' | 'psubscribe' | 'punsubscribe'
  channels: string[]
}

export interface PubSubHandlers {
  onOpen: () => void
  onMessage: (message: PubSubServerMessage) => void
  /** `opened` says whether the handshake had succeeded: a refused handshake closes with 1006, unexplained. */
  onClose: (event: { code: number; reason: string; opened: boolean }) => void
}

export interface PubSubSocket {
  send: (command: PubSubCommand) => void
  close: () => void
}

const PUBSUB_MESSAGE_TYPES = new Set(['message', 'missed', 'subscribed', 'unsubscribed', 'psubscribed', 'punsubscribed', 'error'])

/**
 * Opens the Pub/Sub WebSocket, authenticated by the session cookie (the server checks the page's
 * Origin); the server answers with the `switchboard` subprotocol. The server pings every 20 s and the browser answers by itself.
 */
export function openPubSub(ref: string, connectionId: string | undefined, handlers: PubSubHandlers): PubSubSocket {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const path = withQuery(`${redisBase(ref)}/pubsub/subscribe`, { connection_id: connectionId })
  // The browser sends the session cookie and this page's Origin, which the server checks.
  const socket = new WebSocket(`${scheme}//${window.location.host}${path}`, ['switchboard'])
  let opened = false
  let closed = false
  socket.onopen = () => {
    opened = true
    handlers.onOpen()
  }
  socket.onmessage = (event: MessageEvent) => {
    if (typeof event.data !== 'string') return
    let parsed: unknown
    try {
      parsed = JSON.parse(event.data)
    } catch {
      return
    }
    const type = (parsed as { type?: unknown } | null)?.type
    if (typeof type === 'string' && PUBSUB_MESSAGE_TYPES.has(type)) handlers.onMessage(parsed as PubSubServerMessage)
  }
  socket.onclose = (event: CloseEvent) => {
    if (closed) return
    closed = true
    handlers.onClose({ code: event.code, reason: event.reason, opened })
  }
  return {
    send: (command) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(command))
    },
    close: () => {
      closed = true
      socket.close(1000)
    },
  }
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
  /** What the last statement did, as PostgreSQL's command tag names it: `UPDATE`, `CREATE TABLE`… */
  command: string | null
  /** The tag's count: rows inserted, updated, deleted or returned (null when not known). */
  rowsAffected: number | null
}

/**
 * Sends SQL to a query route of the platform API (`path` after `/api/platform/`) and reads the
 * answer every SQL engine gives alike: `{"data": [row…], "command", "rows_affected"}` and the row
 * cap's headers. `answer` is the whole JSON, for what an engine adds.
 */
export async function runSql(path: string, body: unknown): Promise<{ result: QueryResult; answer: Record<string, unknown> }> {
  const { json, headers } = await sendWithHeaders('POST', `${platform}/${path}`, body, true)
  const cap = Number(headers.get('x-switchboard-row-cap'))
  const answer = json as { data?: SqlRow[]; command?: unknown; rows_affected?: unknown }
  const result: QueryResult = {
    rows: (answer.data ?? []) as SqlRow[],
    truncated: headers.get('x-switchboard-truncated') === 'true',
    rowCap: Number.isFinite(cap) && cap > 0 ? cap : null,
    command: typeof answer.command === 'string' ? answer.command : null,
    rowsAffected: typeof answer.rows_affected === 'number' ? answer.rows_affected : null,
  }
  return { result, answer: json as Record<string, unknown> }
}

/**
 * The whole result of a query route (`path` after `/api/platform/`) as CSV: asked with `Accept:
 * text/csv`, which every SQL engine streams without the row cap.
 */
export async function sqlCsv(path: string, body: unknown): Promise<Blob> {
  const response = await fetchOk('POST', `${platform}/${path}`, body, true, 'text/csv')
  try {
    return await response.blob()
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'The export was interrupted before it finished.')
  }
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
  query: async (ref: string, query: string, connectionId?: string, queryId?: string): Promise<QueryResult> => {
    const path = withQuery(`pg-meta/${encodePathSegment(ref)}/query`, { connection_id: connectionId })
    return (await runSql(path, queryId ? { query, query_id: queryId } : { query })).result
  },
  /** Cancels the caller's running query sent with `queryId` (the server sends PostgreSQL's cancel). */
  cancel: (ref: string, queryId: string) =>
    call<unknown>('POST', `${pgBase(ref)}/query/${encodePathSegment(queryId)}/cancel`, {}),
  /** `EXPLAIN ANALYZE`: the plan with real timings. It executes the statement (writers only). */
  explainAnalyze: (ref: string, query: string, connectionId?: string, queryId?: string) =>
    call<unknown>('POST', withQuery(`${pgBase(ref)}/query`, { connection_id: connectionId }), {
      query,
      explain: true,
      analyze: true,
      ...(queryId ? { query_id: queryId } : {}),
    }),
  /** The plan of `EXPLAIN (FORMAT JSON)`, without running the statement. */
  explain: (ref: string, query: string, connectionId?: string) =>
    call<unknown>('POST', withQuery(`${pgBase(ref)}/query`, { connection_id: connectionId }), { query, explain: true }),
  /** The whole result as CSV (streamed by the server, without the row cap). */
  exportCsv: (ref: string, query: string, connectionId?: string): Promise<Blob> =>
    sqlCsv(withQuery(`pg-meta/${encodePathSegment(ref)}/query`, { connection_id: connectionId }), { query }),
  tables: (ref: string, connectionId?: string) =>
    call<PgRelation[]>('GET', withQuery(`${pgBase(ref)}/tables`, { connection_id: connectionId })),
  views: (ref: string, connectionId?: string) =>
    call<PgRelation[]>('GET', withQuery(`${pgBase(ref)}/views`, { connection_id: connectionId })),
}

// ---- PostgreSQL Table Editor: rows, schema changes and database objects ---------------------
//
// Rows keep PostgreSQL's values as the server maps them: int8 and numeric are strings (never
// turned into a Number, which would round them), json/jsonb parsed JSON, NULL null. A value the
// user typed as JSON goes out as its text (JsonText, anywhere in a body), so its numbers are not
// rounded on the way either.

/** A column of a table as the rows API describes it. */
export interface RowColumn {
  name: string
  /** `format_type` text, e.g. `character varying(20)`, `integer[]`. */
  type: string
  /** The type's name: int4, _text, mood… */
  format: string
  nullable: boolean
  /** The default's expression, or null. */
  default: string | null
  primary_key: boolean
  /** The column it references; `table_id` is PostgreSQL's (the table's oid). */
  foreign_key: { schema: string; table: string; table_id?: number; column: string } | null
  enum_values: string[] | null
  updatable: boolean
  identity?: boolean
  generated?: boolean
  /**
   * Set by the console, not the server: the editor a value takes when `format` is not one of
   * PostgreSQL's type names (another SQL engine's columns).
   */
  editor?: EditorKind
}

export type PgRow = Record<string, unknown>

export interface RowPage {
  rows: PgRow[]
  columns: RowColumn[]
  primary_key: string[]
  /** Null at the end. */
  cursor: string | null
  paging: 'keyset' | 'offset'
  count: number | null
  count_is_estimate: boolean
  count_note: string | null
}

/** What `GET …/rows` takes; `order`, `filter` and `select` repeat. */
export interface RowQuery {
  limit?: number
  /** `col.asc|desc[.nullsfirst|.nullslast]` */
  order?: string[]
  /** `col.op[.value]` */
  filter?: string[]
  select?: string[]
  cursor?: string | null
  count?: 'exact'
}

/** One change of `PATCH …/rows`: the row by its primary key, the new values, what it must still hold. */
export interface RowChange {
  pk: PgRow
  set: PgRow
  expect?: PgRow
}

/** JSON text of a body, with JsonText values written as they are (anywhere in it). */
export function bodyText(value: unknown): JsonText {
  const write = (v: unknown): string => {
    if (v instanceof JsonText) return v.text
    if (Array.isArray(v)) return `[${v.map(write).join(',')}]`
    if (v !== null && typeof v === 'object') {
      return `{${Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`)
        .join(',')}}`
    }
    return JSON.stringify(v) ?? 'null'
  }
  return new JsonText(write(value))
}

/** The query string of a rows request: repeated names, in order. */
export function rowQueryString(connectionId: string | undefined, q: RowQuery): string {
  const params = new URLSearchParams()
  if (connectionId) params.set('connection_id', connectionId)
  if (q.limit !== undefined) params.set('limit', String(q.limit))
  for (const o of q.order ?? []) params.append('order', o)
  for (const f of q.filter ?? []) params.append('filter', f)
  for (const s of q.select ?? []) params.append('select', s)
  if (q.cursor) params.set('cursor', q.cursor)
  if (q.count) params.set('count', q.count)
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** The details of a 409 on a row change: the row as it is now, or null when it is gone. */
export function conflictCurrent(error: unknown): { current: PgRow | null } | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null
  const d = error.details as { current?: unknown } | null | undefined
  const current = d && typeof d === 'object' && d.current && typeof d.current === 'object' ? (d.current as PgRow) : null
  return { current }
}

export interface PgSchema {
  id: number
  name: string
  owner: string
}

export interface PgTable extends PgRelation {
  primary_keys: { name: string; table_id: number }[]
  relationships: {
    source_schema: string
    source_table_name: string
    source_column_name: string
    target_table_schema: string
    target_table_name: string
    target_column_name: string
  }[]
}

/** A column of `POST …/tables` and `POST …/columns`. */
export interface ColumnSpec {
  name: string
  type: string
  default_value?: string
  default_value_format?: 'literal' | 'expression'
  is_identity?: boolean
  identity_generation?: 'ALWAYS' | 'BY DEFAULT'
  is_nullable?: boolean
  is_primary_key?: boolean
  is_unique?: boolean
  check?: string
  comment?: string
  references?: { schema: string; table: string; column: string; on_delete?: string; on_update?: string }
}

export interface NewTable {
  schema: string
  name: string
  comment?: string
  columns: ColumnSpec[]
}

/** What a schema change answers with `dry_run`: the SQL it would run. */
export interface DryRun {
  dry_run: true
  sql: string
}

export interface PgIndex {
  id: number
  name: string
  schema?: string
  table: string
  table_id?: number
  definition: string
  size_bytes: number
  scans: number
  unused: boolean
}

export interface NewIndex {
  table_id: number
  name?: string
  columns: { name: string; desc?: boolean }[]
  unique?: boolean
  method?: 'btree' | 'hash' | 'gist' | 'gin' | 'spgist' | 'brin'
}

export interface PgExtension {
  name: string
  default_version: string | null
  installed_version: string | null
  comment: string | null
}

/** An item of the read-only listings (roles, policies, triggers, functions, types…), shown as it comes. */
export type PgObject = Record<string, unknown>

function pgPath(ref: string, tail: string, connectionId?: string, query?: Query): string {
  return withQuery(`${pgBase(ref)}/${tail}`, { connection_id: connectionId, ...query })
}

/** The rows of one table: the routes `…/rows` take the same query and bodies for every SQL engine. */
export interface RowsApi {
  list: (q: RowQuery) => Promise<RowPage>
  insert: (rows: PgRow[]) => Promise<PgRow[]>
  update: (changes: RowChange[]) => Promise<PgRow[]>
  remove: (pks: PgRow[]) => Promise<{ deleted: number }>
}

/** The rows routes at `path` (after `/api/platform/`, ending in `/rows`) on a connection. */
export function rowsApi(path: string, connectionId?: string): RowsApi {
  const at = `${platform}/${path}`
  const written = withQuery(at, { connection_id: connectionId })
  return {
    list: (q) => call<RowPage>('GET', `${at}${rowQueryString(connectionId, q)}`),
    insert: (rows) => call<PgRow[]>('POST', written, bodyText(rows)),
    update: (changes) => call<PgRow[]>('PATCH', written, bodyText(changes)),
    remove: (pks) => call<{ deleted: number }>('DELETE', written, bodyText(pks.map((pk) => ({ pk })))),
  }
}

/** A PostgreSQL table's rows, by its oid. */
export function pgTableRows(ref: string, tableId: number, connectionId?: string): RowsApi {
  return rowsApi(`pg-meta/${encodePathSegment(ref)}/tables/${tableId}/rows`, connectionId)
}

/** Schema changes (admins) and the database's objects. Every change takes `dryRun` and then answers its SQL. */
/** A row an import could not take: its line in the file, the column when known, and why. */
export interface PgBadRow {
  line: number
  column?: string
  message: string
}

/** What `POST …/tables/{id}/import` did. */
export interface PgImportReport {
  rows: number
  skipped: number
  errors: PgBadRow[]
}

/** What `POST …/import/preview` read from a file's start. */
export interface PgImportPreview {
  columns: { name: string; type: string }[]
  rows: (string | null)[][]
}

/** What `POST …/import` (create a table from a file) did. */
export interface PgCreatedImport extends PgImportReport {
  table_id: number
  columns: { name: string; type: string }[]
}

export const pgImports = {
  /** The inferred columns and first 20 rows of a file (only its start is sent). */
  preview: (ref: string, head: Blob, contentType: string, connectionId?: string) =>
    uploadFile<PgImportPreview>(pgPath(ref, 'import/preview', connectionId), head, contentType, () => {}),
  /** Creates `schema.table` with these columns and types, and imports the whole file into it. */
  createAndImport: (
    ref: string,
    file: File,
    target: { schema: string; table: string; columns: string[]; types: string[]; onError: 'stop' | 'skip' },
    onProgress: (sent: number, total: number) => void,
    connectionId?: string,
  ) =>
    uploadFile<PgCreatedImport>(
      pgPath(ref, 'import', connectionId, {
        schema: target.schema,
        table: target.table,
        columns: target.columns.join(','),
        types: target.types.join(','),
        on_error: target.onError,
      }),
      file,
      importContentType(file.name),
      onProgress,
    ),
  /** Imports a file into an existing table (CSV header names or NDJSON keys are its columns). */
  /** `columns`: the table columns the file's columns go to, in order (default: the CSV header's names). */
  intoTable: (
    ref: string,
    tableId: number,
    file: File,
    onError: 'stop' | 'skip',
    onProgress: (sent: number, total: number) => void,
    connectionId?: string,
    columns?: string[],
  ) =>
    uploadFile<PgImportReport>(
      pgPath(ref, `tables/${tableId}/import`, connectionId, { on_error: onError, columns: columns?.join(',') }),
      file,
      importContentType(file.name),
      onProgress,
    ),
  /** The download of every row of a table matching filters and order, as CSV or NDJSON. */
  exportUrl: (ref: string, tableId: number, view: { filter: string[]; order: string[] }, format: 'csv' | 'ndjson', connectionId?: string) => {
    const params = new URLSearchParams()
    if (connectionId) params.set('connection_id', connectionId)
    for (const f of view.filter) params.append('filter', f)
    for (const o of view.order) params.append('order', o)
    params.set('format', format)
    return `${pgBase(ref)}/tables/${tableId}/rows?${params.toString()}`
  },
}

export const pgDb = {
  schemas: (ref: string, connectionId?: string) => call<PgSchema[]>('GET', pgPath(ref, 'schemas', connectionId)),
  tables: (ref: string, connectionId?: string) => call<PgTable[]>('GET', pgPath(ref, 'tables', connectionId)),
  createTable: (ref: string, table: NewTable, dryRun: boolean, connectionId?: string) =>
    call<PgTable | DryRun>('POST', pgPath(ref, 'tables', connectionId), { ...table, dry_run: dryRun || undefined }),
  alterTable: (ref: string, id: number, change: { name?: string; schema?: string; comment?: string }, dryRun: boolean, connectionId?: string) =>
    call<PgTable | DryRun>('PATCH', pgPath(ref, `tables/${id}`, connectionId), { ...change, dry_run: dryRun || undefined }),
  dropTable: (ref: string, id: number, dryRun: boolean, connectionId?: string) =>
    call<unknown>('DELETE', pgPath(ref, `tables/${id}`, connectionId, { dry_run: dryRun || undefined })),
  addColumn: (ref: string, tableId: number, column: ColumnSpec, dryRun: boolean, connectionId?: string) =>
    call<unknown>('POST', pgPath(ref, 'columns', connectionId), { table_id: tableId, ...column, dry_run: dryRun || undefined }),
  alterColumn: (ref: string, id: string, change: Partial<ColumnSpec> & { drop_default?: boolean }, dryRun: boolean, connectionId?: string) =>
    call<unknown>('PATCH', pgPath(ref, `columns/${encodePathSegment(id)}`, connectionId), { ...change, dry_run: dryRun || undefined }),
  dropColumn: (ref: string, id: string, dryRun: boolean, connectionId?: string) =>
    call<unknown>('DELETE', pgPath(ref, `columns/${encodePathSegment(id)}`, connectionId, { dry_run: dryRun || undefined })),
  indexes: (ref: string, connectionId?: string) => call<PgIndex[]>('GET', pgPath(ref, 'indexes', connectionId)),
  createIndex: (ref: string, index: NewIndex, dryRun: boolean, connectionId?: string) =>
    call<unknown>('POST', pgPath(ref, 'indexes', connectionId), { ...index, dry_run: dryRun || undefined }),
  dropIndex: (ref: string, id: number, dryRun: boolean, connectionId?: string) =>
    call<unknown>('DELETE', pgPath(ref, `indexes/${id}`, connectionId, { dry_run: dryRun || undefined })),
  extensions: (ref: string, connectionId?: string) => call<PgExtension[]>('GET', pgPath(ref, 'extensions', connectionId)),
  enableExtension: (ref: string, name: string, dryRun: boolean, connectionId?: string) =>
    call<unknown>('POST', pgPath(ref, 'extensions', connectionId), { name, dry_run: dryRun || undefined }),
  disableExtension: (ref: string, name: string, dryRun: boolean, connectionId?: string) =>
    call<unknown>('DELETE', pgPath(ref, `extensions/${encodePathSegment(name)}`, connectionId, { dry_run: dryRun || undefined })),
  /** roles, policies, triggers, functions, types, materialized-views */
  list: (ref: string, what: string, connectionId?: string) => call<PgObject[]>('GET', pgPath(ref, what, connectionId)),
  typescript: (ref: string, schemas: string, connectionId?: string) =>
    call<{ types: string }>('GET', pgPath(ref, 'generators/typescript', connectionId, { included_schemas: schemas })),
}

/** Whether an answer of a schema change is its dry run. */
export function isDryRun(value: unknown): value is DryRun {
  return typeof value === 'object' && value !== null && (value as { dry_run?: unknown }).dry_run === true
}

/** Whether a role may change the schema (admin and owner). */
export function canChangeSchema(role: Role | undefined): boolean {
  return role === 'admin' || role === 'owner'
}

// ---- MongoDB (spec 4.2-4.5): databases, collections, documents, aggregation, indexes ----------
//
// Documents are read with ./mongodb/ejson rather than JSON.parse, so 64-bit integers keep their
// digits and each document keeps the exact text the server sent (which the JSON view shows and the
// editor starts from). Documents, filters, pipelines, validators and index keys go out as canonical
// Extended JSON text (JsonText) made by ./mongodb/shell from what the user typed (strict or shell
// syntax), so nothing is reordered, rounded or left for the server to guess.

export type MongoDocument = RawDocument

/** Which project and connection (the primary when `connectionId` is absent) a MongoDB call addresses. */
export interface MongoConn {
  ref: string
  connectionId?: string
}

export interface MongoDatabase {
  name: string
  /** Bytes on disk, when the server says. */
  size_on_disk: number | null
  empty: boolean
  /** Collections and views in it; null when the user may not list them. */
  collections: number | null
}

/** `dbStats`, in snake_case; a field is null when the server does not report it. */
export interface MongoDatabaseStats {
  db: string
  collections: number | null
  views: number | null
  objects: number | null
  avg_obj_size: number | null
  data_size: number | null
  storage_size: number | null
  indexes: number | null
  index_size: number | null
  total_size: number | null
  fs_used_size: number | null
  fs_total_size: number | null
}

/** Sizes from `collStats` (metadata: no document is read to get them). */
export interface MongoCollectionInfo {
  count: number | null
  size: number | null
  avg_obj_size: number | null
  storage_size: number | null
  indexes: number | null
  total_index_size: number | null
}

export interface MongoCollection {
  name: string
  type: 'collection' | 'view' | 'timeseries'
  options: Record<string, unknown>
  /** Null for a view, or when the server does not say. */
  info: MongoCollectionInfo | null
}

export interface NewCollectionOptions {
  capped?: boolean
  /** Bytes of a capped collection. */
  size?: number
  /** Most documents in a capped collection. */
  max?: number
  validationLevel?: 'off' | 'strict' | 'moderate'
  validationAction?: 'error' | 'warn'
}

/** What `GET …/documents` takes; `filter`, `projection` and `sort` are Extended JSON text. */
export interface MongoFind {
  filter?: string
  projection?: string
  sort?: string
  /** 1-1000, 20 by default. */
  limit?: number
  skip?: number
  /** `false` skips counting the matches (`total` is then null). */
  count?: boolean
}

export interface MongoDocumentPage {
  documents: MongoDocument[]
  /** Matches of the filter; null when not asked for or when counting took over 5 s. */
  total: number | null
  /** The total is the collection's metadata count (no filter): cheap, and may drift. */
  total_is_estimate: boolean
  count_timed_out: boolean
  /** 1-based. */
  page: number
  page_size: number
  has_more: boolean
}

export interface MongoAggregation {
  documents: MongoDocument[]
  /** Results past `limit` were dropped. */
  truncated: boolean
  limit: number
  max_time_ms: number
}

export interface MongoIndex {
  name: string
  /** Key pattern in order: 1, -1 or an index type such as "text". */
  key: Record<string, number | string>
  unique: boolean
  sparse: boolean
  /** `expireAfterSeconds` of a TTL index. */
  ttl: number | null
  partial_filter: Record<string, unknown> | null
  /** Bytes, when the server reports it. */
  size: number | null
}

export interface NewIndexOptions {
  name?: string
  unique?: boolean
  sparse?: boolean
  expireAfterSeconds?: number
}

/** A JSON object's text from fields: JsonText fields are written as they are, undefined ones left out. */
function objectText(fields: Record<string, unknown>): JsonText {
  const parts: string[] = []
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    parts.push(`${JSON.stringify(name)}:${value instanceof JsonText ? value.text : JSON.stringify(value)}`)
  }
  return new JsonText(`{${parts.join(',')}}`)
}

function mongoDatabases(at: MongoConn): string {
  return `${platform}/mongodb/${encodePathSegment(at.ref)}/databases`
}

function mongoDatabase(at: MongoConn, db: string): string {
  return `${mongoDatabases(at)}/${encodePathSegment(db)}`
}

function mongoCollection(at: MongoConn, db: string, collection: string): string {
  return `${mongoDatabase(at, db)}/collections/${encodePathSegment(collection)}`
}

/** The text of an answer's `data`, read as text so no digit is lost on the way. */
async function mongoData(method: string, path: string, body?: JsonText): Promise<string> {
  const response = await fetchOk(method, path, body, true)
  let text: string
  try {
    text = await response.text()
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'The answer was interrupted before it arrived.')
  }
  const data = rawMember(text, 'data')
  if (data === undefined) throw new ApiError(response.status, 'BAD_RESPONSE', 'The server sent an unreadable answer.')
  return data
}

/** A small plain member of an answer (a count, a flag). */
function memberOf<T>(data: string, name: string, fallback: T): T {
  const text = rawMember(data, name)
  return text === undefined ? fallback : (JSON.parse(text) as T)
}

/** What `POST …/collections/{collection}/import` did. */
export interface MongoImportReport {
  inserted: number
  failed: number
  /** The first 100 failures: 0-based document number, line, the server's code (null when the document never reached it). */
  errors: { index: number; line: number; code: number | null; message: string }[]
  /** An ordered import stopped at its first failure. */
  stopped: boolean
}

/** The media type an import file is sent as, from its name. */
export function importContentType(name: string): string {
  const lower = name.toLowerCase()
  if (lower.endsWith('.csv')) return 'text/csv'
  if (lower.endsWith('.json')) return 'application/json'
  return 'application/x-ndjson'
}

/** A mass change's dry run (`POST …/bulk` with `dry_run`). */
export interface MongoBulkPreview {
  /** Matches counted up to 1,000,000 within 5 s; null when counting took longer. */
  matched: number | null
  matched_capped: boolean
  /** Up to 20 matching documents (relaxed Extended JSON). */
  sample: unknown[]
  confirm: string
}

/** What a confirmed mass change did. */
export interface MongoBulkDone {
  matched: number
  modified: number
  deleted: number
}

export const mongodb = {
  /** `deleteMany`/`updateMany` of a filter (canonical Extended JSON text): a dry run, or the run its `confirm` allows. */
  bulk: async (
    at: MongoConn,
    db: string,
    collection: string,
    change: { op: 'deleteMany' | 'updateMany'; filter: string; update?: string },
    run: { dryRun: true } | { confirm: string },
  ): Promise<MongoBulkPreview | MongoBulkDone> => {
    const body = objectText({
      op: change.op,
      filter: new JsonText(change.filter || '{}'),
      update: change.update ? new JsonText(change.update) : undefined,
      dry_run: 'dryRun' in run ? true : undefined,
      confirm: 'confirm' in run ? run.confirm : undefined,
    })
    const data = await mongoData('POST', withQuery(`${mongoCollection(at, db, collection)}/bulk`, { connection_id: at.connectionId }), body)
    return JSON.parse(data) as MongoBulkPreview | MongoBulkDone
  },
  /** The download of every document matching a query, as NDJSON (Extended JSON) or CSV. */
  exportUrl: (at: MongoConn, db: string, collection: string, q: { filter?: string; projection?: string; sort?: string }, format: 'ndjson' | 'csv') =>
    exportUrl(`${mongoCollection(at, db, collection)}/documents`, {
      ...q,
      format,
      connection_id: at.connectionId,
    }),
  /** Streams a file of documents (NDJSON, a JSON array or CSV) into a collection. */
  importFile: (
    at: MongoConn,
    db: string,
    collection: string,
    file: File,
    ordered: boolean,
    onProgress: (sent: number, total: number) => void,
  ) =>
    uploadFile<MongoImportReport>(
      withQuery(`${mongoCollection(at, db, collection)}/import`, {
        ordered: ordered ? 'true' : undefined,
        connection_id: at.connectionId,
      }),
      file,
      importContentType(file.name),
      onProgress,
    ),
  databases: (at: MongoConn) =>
    call<MongoDatabase[]>('GET', withQuery(mongoDatabases(at), { connection_id: at.connectionId })),
  /** MongoDB has no empty databases: one is created with its first collection. */
  createDatabase: (at: MongoConn, name: string, collection: string) =>
    call<{ name: string; collection: string }>('POST', withQuery(mongoDatabases(at), { connection_id: at.connectionId }), {
      name,
      collection,
    }),
  /** Admin only; system databases are refused. */
  dropDatabase: (at: MongoConn, db: string) =>
    call<void>('DELETE', withQuery(mongoDatabase(at, db), { connection_id: at.connectionId })),
  stats: (at: MongoConn, db: string) =>
    call<MongoDatabaseStats>('GET', withQuery(`${mongoDatabase(at, db)}/stats`, { connection_id: at.connectionId })),
  collections: (at: MongoConn, db: string) =>
    call<MongoCollection[]>('GET', withQuery(`${mongoDatabase(at, db)}/collections`, { connection_id: at.connectionId })),
  /** `validator` is Extended JSON text (checked by the caller), sent as written. */
  createCollection: (at: MongoConn, db: string, name: string, options: NewCollectionOptions, validator?: string) =>
    call<{ name: string; type: string; options: Record<string, unknown> }>(
      'POST',
      withQuery(`${mongoDatabase(at, db)}/collections`, { connection_id: at.connectionId }),
      objectText({ name, options: objectText({ ...options, validator: validator === undefined ? undefined : new JsonText(validator) }) }),
    ),
  /** Admin only. */
  dropCollection: (at: MongoConn, db: string, collection: string) =>
    call<void>('DELETE', withQuery(mongoCollection(at, db, collection), { connection_id: at.connectionId })),
  /** One page of a query: never more than `limit` documents, and a count only when asked. */
  find: async (at: MongoConn, db: string, collection: string, q: MongoFind): Promise<MongoDocumentPage> => {
    const data = await mongoData(
      'GET',
      withQuery(`${mongoCollection(at, db, collection)}/documents`, { ...q, connection_id: at.connectionId }),
    )
    return {
      documents: documentsOf(rawMember(data, 'documents') ?? '[]'),
      total: memberOf<number | null>(data, 'total', null),
      total_is_estimate: memberOf(data, 'total_is_estimate', false),
      count_timed_out: memberOf(data, 'count_timed_out', false),
      page: memberOf(data, 'page', 1),
      page_size: memberOf(data, 'page_size', q.limit ?? 20),
      has_more: memberOf(data, 'has_more', false),
    }
  },
  /** One whole document by its `{id}` segment (see `MongoDocument.id`). */
  document: async (at: MongoConn, db: string, collection: string, id: string): Promise<MongoDocument> => {
    const data = await mongoData(
      'GET',
      withQuery(`${mongoCollection(at, db, collection)}/documents/${encodePathSegment(id)}`, { connection_id: at.connectionId }),
    )
    const [found] = documentsOf(`[${data}]`)
    if (!found) throw new ApiError(200, 'BAD_RESPONSE', 'The server sent an unreadable answer.')
    return found
  },
  /** `document` is Extended JSON text (checked by the caller), sent as written. */
  insert: (at: MongoConn, db: string, collection: string, document: string) =>
    call<{ inserted_ids: unknown[]; inserted_count: number }>(
      'POST',
      withQuery(`${mongoCollection(at, db, collection)}/documents`, { connection_id: at.connectionId }),
      objectText({ document: new JsonText(document) }),
    ),
  /** Replaces the whole document (keeping its `_id`) with `document`, Extended JSON text. */
  replace: (at: MongoConn, db: string, collection: string, id: string, document: string) =>
    call<{ matched_count: number; modified_count: number; upserted_id: unknown }>(
      'PUT',
      withQuery(`${mongoCollection(at, db, collection)}/documents/${encodePathSegment(id)}`, { connection_id: at.connectionId }),
      objectText({ update: new JsonText(document), replace: true }),
    ),
  /** Applies update operators (canonical Extended JSON text, e.g. one field's `$set`) to one document. */
  update: (at: MongoConn, db: string, collection: string, id: string, update: string) =>
    call<{ matched_count: number; modified_count: number; upserted_id: unknown }>(
      'PUT',
      withQuery(`${mongoCollection(at, db, collection)}/documents/${encodePathSegment(id)}`, { connection_id: at.connectionId }),
      objectText({ update: new JsonText(update) }),
    ),
  remove: (at: MongoConn, db: string, collection: string, id: string) =>
    call<void>(
      'DELETE',
      withQuery(`${mongoCollection(at, db, collection)}/documents/${encodePathSegment(id)}`, { connection_id: at.connectionId }),
    ),
  /** Runs a pipeline (Extended JSON text of an array); at most `limit` results come back. */
  aggregate: async (
    at: MongoConn,
    db: string,
    collection: string,
    pipeline: string,
    options: { maxTimeMS?: number; allowDiskUse?: boolean } = {},
  ): Promise<MongoAggregation> => {
    const data = await mongoData(
      'POST',
      withQuery(`${mongoCollection(at, db, collection)}/aggregate`, { connection_id: at.connectionId }),
      objectText({ pipeline: new JsonText(pipeline), options }),
    )
    return {
      documents: documentsOf(rawMember(data, 'documents') ?? '[]'),
      truncated: memberOf(data, 'truncated', false),
      limit: memberOf(data, 'limit', 0),
      max_time_ms: memberOf(data, 'max_time_ms', 0),
    }
  },
  indexes: (at: MongoConn, db: string, collection: string) =>
    call<MongoIndex[]>('GET', withQuery(`${mongoCollection(at, db, collection)}/indexes`, { connection_id: at.connectionId })),
  /** `key` is Extended JSON text of the key pattern (field order matters), sent as written. */
  createIndex: (at: MongoConn, db: string, collection: string, key: string, options: NewIndexOptions) =>
    call<{ name: string }>(
      'POST',
      withQuery(`${mongoCollection(at, db, collection)}/indexes`, { connection_id: at.connectionId }),
      objectText({ key: new JsonText(key), options }),
    ),
  dropIndex: (at: MongoConn, db: string, collection: string, name: string) =>
    call<void>(
      'DELETE',
      withQuery(`${mongoCollection(at, db, collection)}/indexes/${encodePathSegment(name)}`, { connection_id: at.connectionId }),
    ),
}

// ---- MongoDB operations (src/api/mongodb_ops.rs): explain and schema analysis ----------------

/** One stage of a plan tree (`PlanStage`). */
export interface MongoPlanStage {
  stage: string | null
  index_name: string | null
  key_pattern: Record<string, unknown> | null
  direction: string | null
  filter: Record<string, unknown> | null
  n_returned: number | null
  docs_examined: number | null
  keys_examined: number | null
  time_ms_estimate: number | null
  details: string[]
  inputs: MongoPlanStage[]
}

/** `POST …/explain`'s answer. */
export interface MongoExplanation {
  verbosity: 'queryPlanner' | 'executionStats'
  kind: 'find' | 'aggregate'
  namespace: string | null
  winning_plan: MongoPlanStage | null
  stages: string[]
  indexes_used: string[]
  collection_scan: boolean
  rejected_plans: number
  pipeline_stages: string[]
  execution: { n_returned: number | null; docs_examined: number | null; keys_examined: number | null; time_ms: number | null; success: boolean | null } | null
  raw: Record<string, unknown>
}

/** A find (Extended JSON texts) or a pipeline to explain. */
export type ExplainRequest =
  | { kind: 'find'; filter?: string; sort?: string; projection?: string }
  | { kind: 'aggregate'; pipeline: string }

/** One type seen at a field path (`FieldType`). */
export interface MongoFieldType {
  type: string
  count: number
  probability: number
  min: unknown
  max: unknown
  top_values: { value: unknown; count: number }[]
  distinct: number | null
  distinct_capped: boolean
  lengths: { min: number; max: number; avg: number } | null
  array_lengths: { min: number; max: number; avg: number } | null
  element_types: Record<string, number> | null
}

/** `POST …/schema`'s answer. */
export interface MongoSchema {
  sample_size: number
  documents_sampled: number
  fields: { path: string; depth: number; count: number; presence: number; types: MongoFieldType[] }[]
  fields_truncated: boolean
  time_ms: number
}

/** A database profiler's settings (`GET/PUT …/databases/{db}/profiling`). */
export interface MongoProfiling {
  /** 0 off, 1 slow operations, 2 everything. */
  level: number | null
  slowms: number | null
  sample_rate: number | null
  filter: Record<string, unknown> | null
}

/** One slow operation of `system.profile`. */
export interface MongoProfileEntry {
  ts: unknown
  op: string | null
  ns: string | null
  millis: number | null
  command: Record<string, unknown> | null
  docs_examined: number | null
  keys_examined: number | null
  n_returned: number | null
  plan_summary: string | null
  client: string | null
  user: string | null
  app_name: string | null
}

/** Usage of one index (`$indexStats`). */
export interface MongoIndexStat {
  name: string | null
  key: Record<string, unknown> | null
  ops: number | null
  since: unknown
  host: string | null
  shard: string | null
  building: boolean | null
}

export const mongodbOps = {
  profiling: (at: MongoConn, db: string) =>
    call<MongoProfiling>('GET', withQuery(`${mongoDatabase(at, db)}/profiling`, { connection_id: at.connectionId })),
  setProfiling: (at: MongoConn, db: string, level: number, slowms: number | undefined) =>
    call<MongoProfiling>('PUT', withQuery(`${mongoDatabase(at, db)}/profiling`, { connection_id: at.connectionId }), {
      level,
      slowms,
    }),
  profile: (at: MongoConn, db: string, minMillis: number | undefined) =>
    call<MongoProfileEntry[]>(
      'GET',
      withQuery(`${mongoDatabase(at, db)}/profile`, { connection_id: at.connectionId, limit: '100', min_millis: minMillis?.toString() }),
    ),
  indexStats: (at: MongoConn, db: string, collection: string) =>
    call<MongoIndexStat[]>('GET', withQuery(`${mongoCollection(at, db, collection)}/index-stats`, { connection_id: at.connectionId })),
  explain: (at: MongoConn, db: string, collection: string, request: ExplainRequest, verbosity: 'queryPlanner' | 'executionStats') => {
    const fields: Record<string, unknown> =
      request.kind === 'aggregate'
        ? { pipeline: new JsonText(request.pipeline) }
        : {
            filter: request.filter ? new JsonText(request.filter) : undefined,
            sort: request.sort ? new JsonText(request.sort) : undefined,
            projection: request.projection ? new JsonText(request.projection) : undefined,
          }
    return call<MongoExplanation>(
      'POST',
      withQuery(`${mongoCollection(at, db, collection)}/explain`, { connection_id: at.connectionId }),
      objectText({ ...fields, verbosity }),
    )
  },
  /** `filter` is Extended JSON text, or empty for every document. */
  schema: (at: MongoConn, db: string, collection: string, sampleSize: number, filter: string) =>
    call<MongoSchema>(
      'POST',
      withQuery(`${mongoCollection(at, db, collection)}/schema`, { connection_id: at.connectionId }),
      objectText({ sample_size: sampleSize, filter: filter ? new JsonText(filter) : undefined }),
    ),
}

/** Whether a role may change data (developer and above). */
export function canWrite(role: Role | undefined): boolean {
  return role !== undefined && role !== 'viewer'
}

// ---- Saved snippets (src/api/snippets.rs) and who is signed in ------------------------------

/** The signed-in user's id, from the session learnt from the server. */
export function signedInUserId(): string | null {
  return currentSession()?.user.id ?? null
}

/** The engine a snippet is written for (any engine's name). */
export type SnippetEngine = Engine
export type SnippetVisibility = 'project' | 'private'

export interface Snippet {
  id: string
  name: string
  engine: SnippetEngine
  content: string
  visibility: SnippetVisibility
  owner: { id: string; email: string }
  created_at: string
  updated_at: string
}

function snippetsBase(ref: string): string {
  return `${platform}/projects/${encodePathSegment(ref)}/snippets`
}

export const snippets = {
  /** The project's shared snippets and the caller's private ones. */
  list: (ref: string, engine?: SnippetEngine) => call<Snippet[]>('GET', withQuery(snippetsBase(ref), { engine })),
  create: (ref: string, snippet: { name: string; engine: SnippetEngine; content: string; visibility: SnippetVisibility }) =>
    call<Snippet>('POST', snippetsBase(ref), snippet),
  update: (ref: string, id: string, change: Partial<Pick<Snippet, 'name' | 'content' | 'visibility'>>) =>
    call<Snippet>('PATCH', `${snippetsBase(ref)}/${encodePathSegment(id)}`, change),
  remove: (ref: string, id: string) => call<void>('DELETE', `${snippetsBase(ref)}/${encodePathSegment(id)}`),
}

// ---- Team (src/api/{projects,organizations,users,tokens,audit}.rs): projects, members, users,
// API tokens and the audit trail -------------------------------------------------------------

export interface Organization {
  id: string
  name: string
  slug: string
  created_at: string
}

/** A member of a project; the organization's owners come first, with role `owner`. */
export interface Member {
  user_id: string
  email: string
  role: Role
  created_at: string
}

/** A project API token, never with its secret (except once, at creation). */
export interface ApiToken {
  id: string
  project_id: string
  project_ref: string
  created_by: string
  name: string
  role: Role
  /** The first characters of the secret, to recognise it. */
  prefix: string
  created_at: string
  expires_at: string | null
}

export interface NewApiToken extends ApiToken {
  /** The bearer token: shown this once, never again. */
  secret: string
}

export interface AuditRecord {
  id: number
  at: string
  user_id: string | null
  project_ref: string | null
  engine: string | null
  connection_id: string | null
  action: string
  target: string | null
  outcome: 'ok' | 'denied' | 'error' | 'unknown' | 'pending'
  status: number | null
  request_id: string | null
  client_addr: string | null
  token_id?: string
  details?: Record<string, unknown>
}

export interface AuditPage {
  entries: AuditRecord[]
  /** Pass as `before` for the next (older) page; null at the end. */
  next_before: number | null
}

export interface AuditFilters {
  user_id?: string
  action?: string
  target?: string
  outcome?: string
  /** RFC 3339. */
  since?: string
  /** RFC 3339. */
  until?: string
  before?: number
  limit?: number
}

const projectPath = (ref: string) => `${platform}/projects/${encodePathSegment(ref)}`

export const team = {
  organizations: () => call<Organization[]>('GET', `${platform}/organizations`),
  createProject: (name: string, organizationSlug?: string) =>
    call<Project>('POST', `${platform}/projects`, { name, organization_slug: organizationSlug }),
  renameProject: (ref: string, name: string) => call<Project>('PATCH', projectPath(ref), { name }),
  deleteProject: (ref: string) => call<void>('DELETE', projectPath(ref)),

  members: (ref: string) => call<Member[]>('GET', `${projectPath(ref)}/members`),
  /** Adds a member, or changes the role of one. */
  putMember: (ref: string, email: string, role: Role) =>
    call<Member>('POST', `${projectPath(ref)}/members`, { email, role }),
  removeMember: (ref: string, userId: string) =>
    call<void>('DELETE', `${projectPath(ref)}/members/${encodePathSegment(userId)}`),

  /** All of the project's tokens for admins; one's own for others. */
  tokens: (ref: string) => call<ApiToken[]>('GET', `${projectPath(ref)}/tokens`),
  createToken: (ref: string, body: { name: string; role: Role; expires_in_days?: number }) =>
    call<NewApiToken>('POST', `${projectPath(ref)}/tokens`, body),
  revokeToken: (ref: string, id: string) => call<void>('DELETE', `${projectPath(ref)}/tokens/${encodePathSegment(id)}`),

  audit: (ref: string, filters: AuditFilters) =>
    call<AuditPage>('GET', withQuery(`${projectPath(ref)}/audit`, filters as Query)),
  /** Where the browser downloads every record matching `filters` (streamed by the server). */
  auditExportHref: (ref: string, filters: AuditFilters, format: 'csv' | 'ndjson') => {
    const { before: _before, limit: _limit, ...rest } = filters
    return withQuery(`${projectPath(ref)}/audit`, { ...rest, format } as Query)
  },

  users: () => call<User[]>('GET', `${platform}/users`),
  createUser: (email: string, password: string, isSuperuser: boolean) =>
    call<User>('POST', `${platform}/users`, { email, password, is_superuser: isSuperuser }),
  setUserDisabled: (id: string, disabled: boolean) =>
    call<User>('PATCH', `${platform}/users/${encodePathSegment(id)}`, { disabled }),
  resetPassword: (id: string, password: string) =>
    call<void>('POST', `${platform}/users/${encodePathSegment(id)}/password`, { password }),
}

const ROLE_ORDER: Role[] = ['viewer', 'developer', 'admin', 'owner']

/** Whether `role` is `minimum` or higher. */
export function roleAtLeast(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(minimum)
}

// ---- Redis command line, rename, delete by pattern (the console's Redis command line and key tree)

/** A command line reply as the server types it: nil is null, binary strings `{base64}`. */
export type CommandReply =
  | null
  | string
  | number
  | boolean
  | { base64: string }
  | { error: string }
  | CommandReply[]
  | { [field: string]: CommandReply }

/** A mass change's dry run (`POST /bulk-delete` or `/bulk-expire` with `dry_run`). */
export interface BulkDryRun {
  /** Keys matching the pattern (exact). */
  count: number
  scanned: number
  /** Up to 20 of them. */
  sample: (string | { base64: string })[]
  /** Sent back to run the change (10 minutes, this user, connection and pattern). */
  confirm: string
}

/** What `POST /redis/{ref}/import` did. */
export interface RedisImportReport {
  lines: number
  keys: number
  skipped: number
  failed: number
  /** The first 100 lines that failed. */
  errors: { line: number; message: string }[]
}

export const redisTools = {
  /** The download of every key matching `pattern` (NDJSON). */
  exportUrl: (ref: string, pattern: string, connectionId?: string) =>
    exportUrl(`${redisBase(ref)}/export`, { pattern, connection_id: connectionId }),
  /** Streams an export file back in; `onConflict` decides for keys that exist. */
  importFile: (
    ref: string,
    file: Blob,
    onConflict: 'skip' | 'replace' | 'fail',
    onProgress: (sent: number, total: number) => void,
    connectionId?: string,
  ) =>
    uploadFile<RedisImportReport>(
      withQuery(`${redisBase(ref)}/import`, { on_conflict: onConflict, connection_id: connectionId }),
      file,
      'application/x-ndjson',
      onProgress,
    ),
  /** Runs one command; the server decides from COMMAND INFO whether the caller's role may. */
  command: (ref: string, args: string[], connectionId?: string) =>
    call<{ reply: CommandReply }>('POST', withQuery(`${redisBase(ref)}/command`, { connection_id: connectionId }), {
      args,
    }),
  /** RENAMENX, or RENAME with `overwrite`; 409 when the new name is taken. */
  rename: (ref: string, name: KeyName, newKey: string, overwrite: boolean, connectionId?: string) =>
    call<KeyValue>(
      'POST',
      withQuery(`${redisBase(ref)}/keys/${keySegment(name)}/rename`, { connection_id: connectionId }),
      { new_key: newKey, overwrite },
    ),
  /** Counts the keys matching `pattern` and answers the confirmation of their deletion. */
  bulkDeleteDryRun: (ref: string, pattern: string, connectionId?: string) =>
    call<BulkDryRun>('POST', withQuery(`${redisBase(ref)}/bulk-delete`, { connection_id: connectionId }), {
      pattern,
      dry_run: true,
    }),
  /** Starts deleting the keys a dry run counted, as a job. */
  bulkDelete: (ref: string, pattern: string, confirm: string, connectionId?: string) =>
    call<{ job_id: string; state: JobState }>(
      'POST',
      withQuery(`${redisBase(ref)}/bulk-delete`, { connection_id: connectionId }),
      { pattern, confirm },
    ),
}

// ---- Operations: background jobs, Redis slowlog/clients/analysis, PostgreSQL performance, the
// project's activity (src/api/jobs.rs, redis_ops.rs, pg_meta/activity.rs)

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'

/** A background job (`GET /projects/{ref}/jobs/{id}`). */
export interface Job {
  id: string
  kind: string
  connection_id: string | null
  created_by: string | null
  state: JobState
  progress: { done: number; total: number | null; unit: string }
  params: Record<string, unknown>
  result: unknown
  error: string | null
  cancel_requested: boolean
  created_at: string
  started_at: string | null
  finished_at: string | null
}

/** True once a job will not change any more. */
export function jobEnded(state: JobState): boolean {
  return state !== 'queued' && state !== 'running'
}

function jobsBase(ref: string): string {
  return `${platform}/projects/${encodePathSegment(ref)}/jobs`
}

/**
 * Reads `GET /jobs/{id}/events` (server-sent events: `progress`, then `done`) with fetch(), calling
 * `onJob` with the job each time. Resolves when the stream ends or `signal` aborts.
 */
async function streamJob(ref: string, id: string, onJob: (job: Job) => void, signal: AbortSignal): Promise<void> {
  const response = await fetchOk('GET', `${jobsBase(ref)}/${encodePathSegment(id)}/events`, undefined, true, 'text/event-stream')
  if (!response.body) throw new ApiError(0, 'BAD_RESPONSE', 'The browser cannot read the job stream.')
  const reader = response.body.getReader()
  const stop = () => void reader.cancel().catch(() => {})
  if (signal.aborted) return stop()
  signal.addEventListener('abort', stop)
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || signal.aborted) return
      const parsed = parseSse(buffer + decoder.decode(value, { stream: true }))
      buffer = parsed.rest
      for (const e of parsed.events) {
        if (e.event !== 'progress' && e.event !== 'done') continue
        try {
          onJob(JSON.parse(e.data) as Job)
        } catch {
          // An unreadable event is skipped; the next one (or the final read) carries the state.
        }
      }
    }
  } catch {
    if (!signal.aborted) throw new ApiError(0, 'NETWORK_ERROR', 'The job stream was interrupted.')
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

export const jobs = {
  list: (ref: string) => call<Job[]>('GET', jobsBase(ref)),
  get: (ref: string, id: string) => call<Job>('GET', `${jobsBase(ref)}/${encodePathSegment(id)}`),
  /** Asks the job to stop (its starter or an admin); 409 when it has already ended. */
  cancel: (ref: string, id: string) => call<Job>('DELETE', `${jobsBase(ref)}/${encodePathSegment(id)}`),
  events: streamJob,
}

/** One SLOWLOG entry. */
export interface SlowEntry {
  id: number
  timestamp: number
  duration_us: number
  command: string[]
  client_addr: string | null
  client_name: string | null
  node: string | null
}

/** One connected Redis client (CLIENT LIST). */
export interface RedisClientEntry {
  id: number
  address: string
  name: string
  age: number
  idle: number
  db: number
  last_command: string
  memory: number | null
  flags: string
  node: string | null
}

/** Options of the keyspace analysis (every one optional). */
export interface AnalysisOptions {
  separator?: string
  depth?: number
  keys_per_second?: number
  memory_sample_rate?: number
}

export interface AnalysisTally {
  keys: number
  memory: number
}

export interface RankedKey {
  amount: number
  key: string
  key_encoding: Encoding
  type: string
}

/** The result of a `redis.analysis` job. */
export interface AnalysisResult {
  keys: number
  memory: { estimated_total: number; sampled_keys: number; sample_rate: number; note: string }
  separator: string
  namespaces: { depth: number; total: number; namespaces: ({ name: string } & AnalysisTally)[] }[]
  types: Record<string, AnalysisTally>
  ttl: { with_ttl: number; without_ttl: number; buckets: { label: string; keys: number }[] }
  biggest_by_memory: RankedKey[]
  biggest_by_length: RankedKey[]
  nodes: number
}

export const redisOps = {
  slowlog: (ref: string, connectionId?: string, count?: number) =>
    call<SlowEntry[]>('GET', withQuery(`${redisBase(ref)}/slowlog`, { connection_id: connectionId, count })),
  resetSlowlog: (ref: string, connectionId?: string) =>
    call<void>('DELETE', withQuery(`${redisBase(ref)}/slowlog`, { connection_id: connectionId })),
  clients: (ref: string, connectionId?: string) =>
    call<RedisClientEntry[]>('GET', withQuery(`${redisBase(ref)}/clients`, { connection_id: connectionId })),
  killClient: (ref: string, id: number, connectionId?: string) =>
    call<void>('DELETE', withQuery(`${redisBase(ref)}/clients/${id}`, { connection_id: connectionId })),
  /** Starts the keyspace analysis job; follow it with `jobs.events`. */
  analysis: (ref: string, options: AnalysisOptions, connectionId?: string) =>
    call<{ job_id: string; state: JobState }>('POST', withQuery(`${redisBase(ref)}/analysis`, { connection_id: connectionId }), options),
}

/** One statement of `pg_stat_statements`. */
export interface StatementStats {
  query_id: string | null
  query: string
  calls: number
  total_time_ms: number
  mean_time_ms: number
  rows: number
  cache_hit_ratio: number | null
}

export interface QueryStats {
  available: boolean
  how_to_enable: string | null
  statements: StatementStats[]
}

export type StatsOrder = 'total_time' | 'mean_time' | 'calls' | 'rows'

export interface AdvisorFinding {
  check: string
  severity: 'info' | 'warning' | 'error'
  object: string
  message: string
  fix_sql: string | null
}

export interface TableSize {
  schema: string
  name: string
  total_bytes: number
  table_bytes: number
  index_bytes: number
  rows_estimate: number
  seq_scan: number
  idx_scan: number
}

export interface Advisors {
  findings: AdvisorFinding[]
  tables: TableSize[]
  cache_hit_ratio: { table: number | null; index: number | null }
}

export const pgPerf = {
  queryStats: (ref: string, connectionId?: string, order?: StatsOrder, limit?: number) =>
    call<QueryStats>(
      'GET',
      withQuery(`${platform}/pg-meta/${encodePathSegment(ref)}/query-stats`, { connection_id: connectionId, order, limit }),
    ),
  /** Findings with their fix SQL, table sizes and the cache hit ratios. */
  advisors: (ref: string, connectionId?: string) =>
    call<Advisors>('GET', withQuery(`${platform}/pg-meta/${encodePathSegment(ref)}/advisors`, { connection_id: connectionId })),
}

/** One session or operation of the project's activity, across engines. */
export interface ActivityEntry {
  engine: Engine
  connection_id: string
  connection_name: string
  id: string
  user: string | null
  client: string | null
  what: string | null
  state: string | null
  /** Running, blocked, waiting or in a transaction, rather than idle. */
  active: boolean
  duration_ms: number | null
  blocked_by: string[]
  /** How to stop it (admins only; null when it cannot be stopped or the caller may not). */
  kill: { method: 'POST' | 'DELETE'; path: string; label: string } | null
}

export interface ProjectActivity {
  entries: ActivityEntry[]
  unreachable: { connection_id: string; connection_name: string; engine: Engine; error: string }[]
}

export const activity = {
  project: (ref: string) => call<ProjectActivity>('GET', `${platform}/projects/${encodePathSegment(ref)}/activity`),
  /**
   * Stops an entry through the engine route the server named in `kill`; only API paths are
   * followed, so a changed answer cannot send the session anywhere else.
   */
  kill: (kill: { method: 'POST' | 'DELETE'; path: string }) => {
    if (!kill.path.startsWith('/api/') || kill.path.includes('..')) {
      return Promise.reject(new ApiError(0, 'BAD_RESPONSE', 'The server named an unexpected path to stop this.'))
    }
    return call<void>(kill.method, kill.path)
  },
}
