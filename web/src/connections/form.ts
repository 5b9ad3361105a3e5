// The connection form's state and the request bodies it turns into. Pure functions, so the rules
// (what is sent on create, what on update, how the password is kept, cleared or set) are tested
// without a browser. The server checks everything again; these checks only save a round trip and
// give a message next to the form.
import type {
  Connection,
  ConnectionBody,
  ConnectionOptions,
  Engine,
  MongoConnectionOptions,
  PostgresConnectionOptions,
  RedisConnectionOptions,
  Role,
} from '../api'

export const ENGINE_LABELS: Record<Engine, string> = { redis: 'Redis', mongodb: 'MongoDB', postgres: 'PostgreSQL' }
export const DEFAULT_PORTS: Record<Engine, number> = { redis: 6379, mongodb: 27017, postgres: 5432 }
export const URL_EXAMPLES: Record<Engine, string> = {
  redis: 'redis://user:password@host:6379/0',
  mongodb: 'mongodb://user:password@host:27017/app',
  postgres: 'postgres://user:password@host:5432/postgres',
}

/** Only admins and owners may add, change, delete or test-before-saving connections (the API's rule). */
export function canManageConnections(role: Role | undefined): boolean {
  return role === 'admin' || role === 'owner'
}

/** Fields as typed (numbers stay text until they are checked). */
export interface ConnectionForm {
  engine: Engine
  identifier: string
  /** Address by fields, or a whole connection string. */
  mode: 'fields' | 'url'
  host: string
  port: string
  databaseName: string
  username: string
  /** Write-only: empty means "no password" on create and "keep the stored one" on update. */
  password: string
  /** Update only: remove the stored password. */
  clearPassword: boolean
  connectionString: string
  isPrimary: boolean
  /** Redis and MongoDB `tls`, PostgreSQL `ssl`. Unchecked leaves it unset (a rediss:// string still turns it on). */
  tls: boolean
  redisDb: string
  redisTopology: 'standalone' | 'cluster' | 'sentinel'
  sentinelMaster: string
  /** `host:port` pairs separated by commas or new lines. */
  sentinels: string
  replicaSet: string
  authSource: string
  /** Unset, true or false. */
  directConnection: '' | 'true' | 'false'
  sslRootCert: string
  connectTimeoutMs: string
  commandTimeoutMs: string
  /** Redis: admins may run commands that stop or reconfigure the server on the command line. */
  allowServerCommands: boolean
  serverSelectionTimeout: string
  poolSize: string
  statementTimeout: string
  lockTimeout: string
}

export function emptyForm(engine: Engine): ConnectionForm {
  return {
    engine,
    identifier: '',
    mode: 'fields',
    host: '',
    port: String(DEFAULT_PORTS[engine]),
    databaseName: '',
    username: '',
    password: '',
    clearPassword: false,
    connectionString: '',
    isPrimary: false,
    tls: false,
    redisDb: '',
    redisTopology: 'standalone',
    sentinelMaster: '',
    sentinels: '',
    replicaSet: '',
    authSource: '',
    directConnection: '',
    sslRootCert: '',
    connectTimeoutMs: '',
    commandTimeoutMs: '',
    allowServerCommands: false,
    serverSelectionTimeout: '',
    poolSize: '',
    statementTimeout: '',
    lockTimeout: '',
  }
}

/** A new engine keeps what applies to every engine and moves the port along if it was the default. */
export function switchEngine(form: ConnectionForm, engine: Engine): ConnectionForm {
  const port = form.port.trim() === '' || form.port === String(DEFAULT_PORTS[form.engine]) ? String(DEFAULT_PORTS[engine]) : form.port
  return { ...emptyForm(engine), identifier: form.identifier, mode: form.mode, host: form.host, port, username: form.username, password: form.password, isPrimary: form.isPrimary }
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : ''
}

/** The form for editing a saved connection. The password and connection string never come back from the server. */
export function formFromConnection(c: Connection): ConnectionForm {
  const o = c.options
  const sentinel = o.sentinel as { master?: unknown; sentinels?: { host?: unknown; port?: unknown }[] } | undefined
  const direct = o.direct_connection
  return {
    ...emptyForm(c.database_type),
    identifier: c.identifier,
    host: c.host,
    port: String(c.port),
    databaseName: c.database_name ?? '',
    username: c.username ?? '',
    isPrimary: c.is_primary,
    tls: o.tls === true || o.ssl === true,
    redisDb: text(o.db),
    redisTopology: o.cluster === true ? 'cluster' : sentinel ? 'sentinel' : 'standalone',
    sentinelMaster: text(sentinel?.master),
    sentinels: Array.isArray(sentinel?.sentinels) ? sentinel.sentinels.map((s) => `${text(s.host)}:${text(s.port)}`).join(', ') : '',
    replicaSet: text(o.replica_set),
    authSource: text(o.auth_source),
    directConnection: direct === true ? 'true' : direct === false ? 'false' : '',
    sslRootCert: text(o.ssl_root_cert),
    connectTimeoutMs: text(o.connect_timeout_ms),
    commandTimeoutMs: text(o.command_timeout_ms),
    allowServerCommands: o.allow_server_commands === true,
    serverSelectionTimeout: text(o.server_selection_timeout),
    poolSize: text(o.pool_size),
    statementTimeout: text(o.statement_timeout),
    lockTimeout: text(o.lock_timeout),
  }
}

/** A checked value, or a message to show next to the form. */
export type Built<T> = { ok: true; value: T } | { ok: false; error: string }

class FormError extends Error {}

const IDENTIFIER = /^[A-Za-z0-9._-]{1,64}$/

function checkIdentifier(raw: string): string {
  const identifier = raw.trim()
  if (!identifier) throw new FormError('Give the connection an identifier, such as cache or main-db.')
  if (!IDENTIFIER.test(identifier)) {
    throw new FormError("An identifier is 1-64 letters, digits, '-', '_' or '.' (no spaces).")
  }
  return identifier
}

/** `undefined` for an empty field (the server's default), the number, or an error. */
export function parsePort(raw: string, label = 'The port'): number | undefined {
  const t = raw.trim()
  if (t === '') return undefined
  const n = Number(t)
  if (!/^\d+$/.test(t) || n < 1 || n > 65535) throw new FormError(`${label} must be a whole number between 1 and 65535.`)
  return n
}

function wholeNumber(raw: string, label: string): number | undefined {
  const t = raw.trim()
  if (t === '') return undefined
  if (!/^\d+$/.test(t)) throw new FormError(`${label} must be a whole number.`)
  return Number(t)
}

function parseSentinels(raw: string): { host: string; port: number }[] {
  const items = raw.split(/[\s,]+/).filter(Boolean)
  if (items.length === 0) throw new FormError('List at least one sentinel as host:port.')
  return items.map((item) => {
    const at = item.lastIndexOf(':')
    const host = at > 0 ? item.slice(0, at).replace(/^\[|\]$/g, '') : ''
    if (!host) throw new FormError(`Write each sentinel as host:port (got "${item}").`)
    const port = parsePort(item.slice(at + 1), `The port of sentinel ${host}`)
    if (port === undefined) throw new FormError(`Write each sentinel as host:port (got "${item}").`)
    return { host, port }
  })
}

/** The options object for the form's engine, with unset options left out. */
function buildOptions(f: ConnectionForm): ConnectionOptions {
  const timeout = wholeNumber(f.connectTimeoutMs, 'The connect timeout')
  switch (f.engine) {
    case 'redis': {
      const o: RedisConnectionOptions = {}
      const db = wholeNumber(f.redisDb, 'The database number')
      if (db !== undefined) o.db = db
      if (f.tls) o.tls = true
      if (f.redisTopology === 'cluster') o.cluster = true
      if (f.redisTopology === 'sentinel') {
        const master = f.sentinelMaster.trim()
        if (!master) throw new FormError("Name the sentinels' master (for example mymaster).")
        o.sentinel = { master, sentinels: parseSentinels(f.sentinels) }
      }
      if (timeout !== undefined) o.connect_timeout_ms = timeout
      const command = wholeNumber(f.commandTimeoutMs, 'The command timeout')
      if (command !== undefined) o.command_timeout_ms = command
      if (f.allowServerCommands) o.allow_server_commands = true
      return o
    }
    case 'mongodb': {
      const o: MongoConnectionOptions = {}
      if (f.replicaSet.trim()) o.replica_set = f.replicaSet.trim()
      if (f.authSource.trim()) o.auth_source = f.authSource.trim()
      if (f.tls) o.tls = true
      const selection = wholeNumber(f.serverSelectionTimeout, 'The server selection timeout')
      if (selection !== undefined) o.server_selection_timeout = selection
      if (f.directConnection) o.direct_connection = f.directConnection === 'true'
      if (timeout !== undefined) o.connect_timeout_ms = timeout
      const pool = wholeNumber(f.poolSize, 'The pool size')
      if (pool !== undefined) o.pool_size = pool
      return o
    }
    case 'postgres': {
      const o: PostgresConnectionOptions = {}
      if (f.tls) o.ssl = true
      if (f.sslRootCert.trim()) o.ssl_root_cert = f.sslRootCert.trim()
      const pool = wholeNumber(f.poolSize, 'The pool size')
      if (pool !== undefined) o.pool_size = pool
      const statement = wholeNumber(f.statementTimeout, 'The statement timeout')
      if (statement !== undefined) o.statement_timeout = statement
      const lock = wholeNumber(f.lockTimeout, 'The lock timeout')
      if (lock !== undefined) o.lock_timeout = lock
      if (timeout !== undefined) o.connect_timeout_ms = timeout
      return o
    }
  }
}

/** JSON with sorted keys, to compare option objects whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function requireConnectionString(f: ConnectionForm): string {
  const cs = f.connectionString.trim()
  if (!cs) throw new FormError(`Paste a connection string, such as ${URL_EXAMPLES[f.engine]}.`)
  return cs
}

function requireHost(f: ConnectionForm): string {
  const host = f.host.trim()
  if (!host) throw new FormError('Enter the host name or IP address of the server.')
  return host
}

/** Settings as a new connection (or an unsaved test) sends them: everything the form says. */
function settingsBody(f: ConnectionForm): ConnectionBody {
  const body: ConnectionBody = {}
  if (f.mode === 'url') {
    body.connection_string = requireConnectionString(f)
  } else {
    body.host = requireHost(f)
    const port = parsePort(f.port)
    if (port !== undefined) body.port = port
    // Redis has no database name; its database is the `db` option.
    if (f.engine !== 'redis' && f.databaseName.trim()) body.database_name = f.databaseName.trim()
    if (f.username.trim()) body.username = f.username.trim()
  }
  if (f.password) body.password = f.password
  const options = buildOptions(f)
  if (Object.keys(options).length > 0) body.options = options
  return body
}

function attempt<T>(build: () => T): Built<T> {
  try {
    return { ok: true, value: build() }
  } catch (e) {
    if (e instanceof FormError) return { ok: false, error: e.message }
    throw e
  }
}

/** The body of `POST …/connections`. `is_primary` is left to the server (the first one is primary) unless asked for. */
export function createBody(f: ConnectionForm): Built<ConnectionBody> {
  return attempt(() => {
    const identifier = checkIdentifier(f.identifier)
    const body: ConnectionBody = { identifier, ...settingsBody(f) }
    if (f.isPrimary) body.is_primary = true
    return body
  })
}

const SETTING_KEYS: (keyof ConnectionBody)[] = ['host', 'port', 'database_name', 'username', 'password', 'connection_string', 'options']

/**
 * The body of `PUT …/connections/{id}`: only what changed, since absent fields keep their stored
 * values. Sending an unchanged host or port would also drop a stored connection string, so they are
 * only sent when they differ.
 */
export function updateBody(f: ConnectionForm, original: Connection): Built<ConnectionBody> {
  return attempt(() => {
    const body: ConnectionBody = {}
    const identifier = checkIdentifier(f.identifier)
    if (identifier !== original.identifier) body.identifier = identifier
    if (f.mode === 'url') {
      body.connection_string = requireConnectionString(f)
    } else {
      const host = requireHost(f)
      if (host !== original.host) body.host = host
      const port = parsePort(f.port)
      if (port !== undefined && port !== original.port) body.port = port
      const texts: [string, 'database_name' | 'username', string][] =
        f.engine === 'redis' ? [[f.username, 'username', 'user name']] : [[f.databaseName, 'database_name', 'database name'], [f.username, 'username', 'user name']]
      for (const [raw, field, label] of texts) {
        const value = raw.trim()
        // The server keeps a stored value when it gets an empty one; say so rather than pretend it was removed.
        if (value === '' && original[field]) {
          throw new FormError(`A saved ${label} cannot be removed: delete the connection and add it again without one.`)
        }
        if (value !== '' && value !== original[field]) body[field] = value
      }
    }
    if (f.clearPassword) body.password = null
    else if (f.password) body.password = f.password
    const options = buildOptions(f)
    if (canonical(options) !== canonical(original.options ?? {})) body.options = options
    if (f.isPrimary !== original.is_primary) body.is_primary = f.isPrimary
    return body
  })
}

/** Whether an update body changes how the server connects (not just the name or the primary flag). */
export function changesSettings(body: ConnectionBody): boolean {
  return SETTING_KEYS.some((k) => k in body)
}

/** How "Test connection" runs: the saved connection as is, or the form's settings unsaved. */
export type TestRequest =
  | { kind: 'saved'; id: string }
  | {
      kind: 'unsaved'
      body: ConnectionBody
      /** Why the unsaved test may differ from what saving would give, if it may. */
      note: string | null
    }

export function testRequest(f: ConnectionForm, original?: Connection): Built<TestRequest> {
  if (!original) {
    return attempt(() => ({ kind: 'unsaved', body: settingsBody(f), note: null }))
  }
  const update = updateBody(f, original)
  if (!update.ok) return update
  // Nothing that matters to connecting changed: the saved connection is exactly what would be tested.
  if (!changesSettings(update.value)) return { ok: true, value: { kind: 'saved', id: original.id } }
  return attempt(() => {
    const body = settingsBody(f)
    const missing: string[] = []
    if (original.has_password && !f.clearPassword && !f.password) missing.push('password')
    if (original.has_connection_string && f.mode === 'fields') missing.push('connection string')
    const [verb, it] = missing.length > 1 ? ['never leave', 'them'] : ['never leaves', 'it']
    const note = missing.length
      ? `The stored ${missing.join(' and ')} ${verb} the server, so this test runs without ${it}; type ${it} again to include ${it}.`
      : null
    return { kind: 'unsaved', body, note }
  })
}
