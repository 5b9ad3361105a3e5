// The connection form's state and the request bodies it turns into. Pure functions, so the rules
// (what is sent on create, what on update, how the password is kept, cleared or set) are tested
// without a browser. What differs between engines (their fields, options and defaults) comes from
// each engine's entry in the registry. The server checks everything again; these checks only save a
// round trip and give a message next to the form.
import type { Connection, ConnectionBody, Engine } from '../api'
import { FormError, parsePort, text, wholeNumber } from '../engines/fields'
import { engineOf } from '../engines/registry'
import type { FieldValues, OptionField } from '../engines/types'

/** Every engine-specific field of an engine's form, in the order they show. */
export function engineFields(engine: Engine): OptionField[] {
  const spec = engineOf(engine).connectionForm
  return [...spec.main.flatMap((g) => ('row' in g ? g.row : [g])), ...spec.tls, ...spec.timeouts]
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
  /** The engine's TLS option (`tls`, PostgreSQL `ssl`). Unchecked leaves it unset (a rediss:// string still turns it on). */
  tls: boolean
  connectTimeoutMs: string
  /** The engine's own fields (its registry entry's), by input name. */
  values: FieldValues
}

/** The engine's fields as they start: empty, unticked, or a select's first choice. */
function emptyValues(engine: Engine): FieldValues {
  const values: FieldValues = {}
  for (const field of engineFields(engine)) {
    values[field.name] = field.kind === 'flag' ? false : (field.choices?.[0]?.[0] ?? '')
  }
  return values
}

/** The form of a new connection of `engine`: its default port, everything else empty. */
export function emptyForm(engine: Engine): ConnectionForm {
  return {
    engine,
    identifier: '',
    mode: 'fields',
    host: '',
    port: String(engineOf(engine).defaultPort),
    databaseName: '',
    username: '',
    password: '',
    clearPassword: false,
    connectionString: '',
    isPrimary: false,
    tls: false,
    connectTimeoutMs: '',
    values: emptyValues(engine),
  }
}

/** A new engine keeps what applies to every engine and moves the port along if it was the default. */
export function switchEngine(form: ConnectionForm, engine: Engine): ConnectionForm {
  const port = form.port.trim() === '' || form.port === String(engineOf(form.engine).defaultPort) ? String(engineOf(engine).defaultPort) : form.port
  return { ...emptyForm(engine), identifier: form.identifier, mode: form.mode, host: form.host, port, username: form.username, password: form.password, isPrimary: form.isPrimary }
}

/** The engine's field values of saved options. */
function valuesFromOptions(engine: Engine, o: Record<string, unknown>): FieldValues {
  const values = emptyValues(engine)
  for (const field of engineFields(engine)) {
    if (field.custom) continue
    const option = o[field.option ?? field.name]
    if (field.kind === 'flag') values[field.name] = option === true
    else if (field.kind === 'tristate') values[field.name] = option === true ? 'true' : option === false ? 'false' : ''
    else values[field.name] = text(option)
  }
  return { ...values, ...engineOf(engine).connectionForm.readOptions?.(o) }
}

/** The form for editing a saved connection. The password and connection string never come back from the server. */
export function formFromConnection(c: Connection): ConnectionForm {
  const o = c.options
  return {
    ...emptyForm(c.database_type),
    identifier: c.identifier,
    host: c.host,
    port: String(c.port),
    databaseName: c.database_name ?? '',
    username: c.username ?? '',
    isPrimary: c.is_primary,
    tls: o[engineOf(c.database_type).connectionForm.tlsOption ?? 'tls'] === true,
    connectTimeoutMs: text(o.connect_timeout_ms),
    values: valuesFromOptions(c.database_type, o),
  }
}

/** A checked value, or a message to show next to the form. */
export type Built<T> = { ok: true; value: T } | { ok: false; error: string }

const IDENTIFIER = /^[A-Za-z0-9._-]{1,64}$/

function checkIdentifier(raw: string): string {
  const identifier = raw.trim()
  if (!identifier) throw new FormError('Give the connection an identifier, such as cache or main-db.')
  if (!IDENTIFIER.test(identifier)) {
    throw new FormError("An identifier is 1-64 letters, digits, '-', '_' or '.' (no spaces).")
  }
  return identifier
}

/** The options object for the form's engine, with unset options left out. */
function buildOptions(f: ConnectionForm): Record<string, unknown> {
  const spec = engineOf(f.engine).connectionForm
  const o: Record<string, unknown> = {}
  const timeout = wholeNumber(f.connectTimeoutMs, 'The connect timeout')
  for (const field of engineFields(f.engine)) {
    if (field.custom) continue
    const key = field.option ?? field.name
    const value = f.values[field.name] ?? ''
    if (field.kind === 'flag') {
      if (value === true) o[key] = true
    } else if (field.kind === 'tristate') {
      if (value === 'true' || value === 'false') o[key] = value === 'true'
    } else if (field.kind === 'number') {
      const n = wholeNumber(text(value), field.what ?? field.label)
      if (n !== undefined) o[key] = n
    } else {
      const t = text(value).trim()
      if (t) o[key] = t
    }
  }
  if (f.tls && spec.tlsLabel !== null) o[spec.tlsOption ?? 'tls'] = true
  spec.writeOptions?.(f.values, o)
  if (timeout !== undefined) o.connect_timeout_ms = timeout
  return o
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
  if (!cs) throw new FormError(`Paste a connection string, such as ${engineOf(f.engine).connectionForm.urlExample}.`)
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
    // Some engines have no database name (Redis: its database is the `db` option).
    if (engineOf(f.engine).connectionForm.database && f.databaseName.trim()) body.database_name = f.databaseName.trim()
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
      const texts: [string, 'database_name' | 'username', string][] = engineOf(f.engine).connectionForm.database
        ? [[f.databaseName, 'database_name', 'database name'], [f.username, 'username', 'user name']]
        : [[f.username, 'username', 'user name']]
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
