// "Add connection" and "Edit": one form for the three engines, by host and port or by connection
// string, with the options each engine accepts. Passwords are write-only: the field starts empty,
// an empty field keeps the stored password, and "Clear password" removes it. "Test connection"
// tries the settings before they are saved.
import { useRef, useState, type FormEvent, type ReactNode } from 'react'
import type { Connection, ConnectionBody, ConnectionTestReport, Engine } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import {
  DEFAULT_PORTS,
  ENGINE_LABELS,
  URL_EXAMPLES,
  createBody,
  emptyForm,
  formFromConnection,
  switchEngine,
  testRequest,
  updateBody,
  type ConnectionForm as FormState,
  type TestRequest,
} from './form'
import { TestOutcome } from './TestOutcome'

interface Props {
  /** The connection to edit; a new one when absent. */
  original?: Connection
  /** Creates or updates; rejects with an error to show. */
  save: (engine: Engine, body: ConnectionBody) => Promise<Connection>
  test: (engine: Engine, request: TestRequest) => Promise<ConnectionTestReport>
  onSaved: (saved: Connection) => void
  onCancel: () => void
}

const ENGINES: Engine[] = ['redis', 'mongodb', 'postgres']

function Hint({ children }: { children: ReactNode }) {
  return <span className="muted small">{children}</span>
}

export function ConnectionForm({ original, save, test, onSaved, onCancel }: Props) {
  const [form, setForm] = useState<FormState>(() => (original ? formFromConnection(original) : emptyForm('redis')))
  const [busy, setBusy] = useState<'test' | 'save' | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [report, setReport] = useState<ConnectionTestReport | null>(null)
  const [note, setNote] = useState<string | null>(null)
  const [showUrl, setShowUrl] = useState(false)
  // Bumped on every edit, so a test answer about settings that have changed since is dropped.
  const revision = useRef(0)

  const set = (patch: Partial<FormState>) => {
    revision.current++
    setForm((f) => ({ ...f, ...patch }))
    setReport(null)
    setNote(null)
  }

  const runTest = async () => {
    setError(null)
    setReport(null)
    setNote(null)
    const request = testRequest(form, original)
    if (!request.ok) {
      setError(new Error(request.error))
      return
    }
    const mine = revision.current
    setBusy('test')
    try {
      const answer = await test(form.engine, request.value)
      if (mine !== revision.current) return
      setReport(answer)
      setNote(request.value.kind === 'unsaved' ? request.value.note : null)
    } catch (e) {
      if (mine === revision.current) setError(e)
    } finally {
      setBusy(null)
    }
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    const built = original ? updateBody(form, original) : createBody(form)
    if (!built.ok) {
      setError(new Error(built.error))
      return
    }
    // Nothing changed: there is nothing to send.
    if (original && Object.keys(built.value).length === 0) {
      onCancel()
      return
    }
    setBusy('save')
    try {
      onSaved(await save(form.engine, built.value))
    } catch (e) {
      setError(e)
      setBusy(null)
    }
  }

  const engine = form.engine
  const byUrl = form.mode === 'url'
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form
        className="dialog card connection-form"
        role="dialog"
        noValidate
        aria-modal="true"
        aria-labelledby="connection-form-title"
        onSubmit={submit}
      >
        <h2 id="connection-form-title">{original ? `Edit ${original.identifier}` : 'Add connection'}</h2>
        {original ? (
          <p>
            <span className={`badge engine-${engine}`}>{ENGINE_LABELS[engine]}</span>
          </p>
        ) : (
          <label>
            Engine
            <select name="engine" value={engine} onChange={(e) => set(switchEngine(form, e.target.value as Engine))}>
              {ENGINES.map((e) => (
                <option key={e} value={e}>
                  {ENGINE_LABELS[e]}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Identifier
          <input
            name="identifier"
            value={form.identifier}
            onChange={(e) => set({ identifier: e.target.value })}
            autoFocus
            placeholder={engine === 'redis' ? 'cache' : engine === 'postgres' ? 'main-db' : 'documents'}
          />
          <Hint>Unique in the project: letters, digits, &apos;-&apos;, &apos;_&apos; and &apos;.&apos;.</Hint>
        </label>

        <fieldset className="choice">
          <legend>Address</legend>
          <label className="check">
            <input type="radio" name="mode" value="fields" checked={!byUrl} onChange={() => set({ mode: 'fields' })} />
            Host and port
          </label>
          <label className="check">
            <input type="radio" name="mode" value="url" checked={byUrl} onChange={() => set({ mode: 'url' })} />
            Connection string
          </label>
        </fieldset>

        {byUrl ? (
          <label>
            Connection string
            <span className="field-with-toggle">
              <input
                name="connection_string"
                type={showUrl ? 'text' : 'password'}
                autoComplete="off"
                spellCheck={false}
                value={form.connectionString}
                onChange={(e) => set({ connectionString: e.target.value })}
                placeholder={URL_EXAMPLES[engine]}
              />
              <button type="button" className="link" onClick={() => setShowUrl(!showUrl)}>
                {showUrl ? 'Hide' : 'Show'}
              </button>
            </span>
            <Hint>
              {original?.has_connection_string
                ? 'Replaces the stored one, which is never shown again.'
                : 'Kept encrypted on the server and never shown again.'}
            </Hint>
          </label>
        ) : (
          <>
            <div className="form-row">
              <label className="grow">
                Host
                <input name="host" value={form.host} onChange={(e) => set({ host: e.target.value })} placeholder="db.internal or 10.0.0.5" />
              </label>
              <label className="port">
                Port
                <input
                  name="port"
                  inputMode="numeric"
                  value={form.port}
                  onChange={(e) => set({ port: e.target.value })}
                  placeholder={String(DEFAULT_PORTS[engine])}
                />
              </label>
            </div>
            {original?.has_connection_string && (
              <p className="notice small">
                This connection was saved from a connection string, which stays on the server. Changing the host or
                port replaces it.
              </p>
            )}
            {engine !== 'redis' && (
              <label>
                {engine === 'postgres' ? 'Database' : 'Default database'}
                <input
                  name="database_name"
                  value={form.databaseName}
                  onChange={(e) => set({ databaseName: e.target.value })}
                  placeholder={engine === 'postgres' ? 'postgres' : 'app'}
                />
              </label>
            )}
            <label>
              <span>
                User name {engine === 'redis' && <Hint>(Redis 6 ACL user; empty for the default user)</Hint>}
              </span>
              <input name="username" autoComplete="off" value={form.username} onChange={(e) => set({ username: e.target.value })} />
            </label>
          </>
        )}

        <label>
          <span>
            Password{' '}
            <Hint>
              {original?.has_password
                ? '(leave empty to keep the stored one)'
                : byUrl
                  ? '(optional: overrides one in the connection string)'
                  : '(optional)'}
            </Hint>
          </span>
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            value={form.password}
            disabled={form.clearPassword}
            onChange={(e) => set({ password: e.target.value })}
            placeholder={original?.has_password ? 'unchanged' : ''}
          />
        </label>
        {original?.has_password && (
          <label className="check">
            <input
              type="checkbox"
              name="clear_password"
              checked={form.clearPassword}
              onChange={(e) => set({ clearPassword: e.target.checked, password: '' })}
            />
            Clear password
          </label>
        )}

        {engine === 'redis' && (
          <>
            <div className="form-row">
              <label className="port">
                Database number
                <input name="db" inputMode="numeric" value={form.redisDb} onChange={(e) => set({ redisDb: e.target.value })} placeholder="0" />
              </label>
              <label className="grow">
                Mode
                <select
                  name="topology"
                  value={form.redisTopology}
                  onChange={(e) => set({ redisTopology: e.target.value as FormState['redisTopology'] })}
                >
                  <option value="standalone">Standalone</option>
                  <option value="cluster">Cluster</option>
                  <option value="sentinel">Sentinel</option>
                </select>
              </label>
            </div>
            {form.redisTopology === 'sentinel' && (
              <>
                <label>
                  Master name
                  <input name="sentinel_master" value={form.sentinelMaster} onChange={(e) => set({ sentinelMaster: e.target.value })} placeholder="mymaster" />
                </label>
                <label>
                  <span>
                    Sentinels <Hint>(host:port, separated by commas)</Hint>
                  </span>
                  <input name="sentinels" value={form.sentinels} onChange={(e) => set({ sentinels: e.target.value })} placeholder="10.0.0.1:26379, 10.0.0.2:26379" />
                </label>
              </>
            )}
          </>
        )}
        {engine === 'mongodb' && (
          <div className="form-row">
            <label className="grow">
              Replica set
              <input name="replica_set" value={form.replicaSet} onChange={(e) => set({ replicaSet: e.target.value })} placeholder="rs0" />
            </label>
            <label className="grow">
              Auth database
              <input name="auth_source" value={form.authSource} onChange={(e) => set({ authSource: e.target.value })} placeholder="admin" />
            </label>
            <label className="grow">
              Direct connection
              <select
                name="direct_connection"
                value={form.directConnection}
                onChange={(e) => set({ directConnection: e.target.value as FormState['directConnection'] })}
              >
                <option value="">Automatic</option>
                <option value="true">Yes</option>
                <option value="false">No</option>
              </select>
            </label>
          </div>
        )}
        <label className="check">
          <input type="checkbox" name="tls" checked={form.tls} onChange={(e) => set({ tls: e.target.checked })} />
          {engine === 'postgres' ? 'Require SSL (verify the server certificate)' : 'Use TLS'}
        </label>
        {engine === 'postgres' && form.tls && (
          <label>
            <span>
              Extra CA certificate <Hint>(PEM, for a private CA or a self-signed server)</Hint>
            </span>
            <textarea
              name="ssl_root_cert"
              rows={3}
              spellCheck={false}
              value={form.sslRootCert}
              onChange={(e) => set({ sslRootCert: e.target.value })}
              placeholder="-----BEGIN CERTIFICATE-----"
            />
          </label>
        )}

        <details>
          <summary>Timeouts and pool</summary>
          <div className="form-row wrap">
            <label>
              Connect timeout (ms)
              <input name="connect_timeout_ms" inputMode="numeric" value={form.connectTimeoutMs} onChange={(e) => set({ connectTimeoutMs: e.target.value })} placeholder="5000" />
            </label>
            {engine === 'redis' && (
              <label>
                Command timeout (ms)
                <input name="command_timeout_ms" inputMode="numeric" value={form.commandTimeoutMs} onChange={(e) => set({ commandTimeoutMs: e.target.value })} />
              </label>
            )}
            {engine === 'redis' && (
              <label className="inline" title="SHUTDOWN, CONFIG SET, FLUSHALL, DEBUG… stay refused on the command line unless this is set">
                <input
                  type="checkbox"
                  name="allow_server_commands"
                  checked={form.allowServerCommands}
                  onChange={(e) => set({ allowServerCommands: e.target.checked })}
                />{' '}
                Let admins run server commands (SHUTDOWN, CONFIG SET, FLUSHALL…) on the command line
              </label>
            )}
            {engine === 'mongodb' && (
              <label>
                Server selection timeout (ms)
                <input
                  name="server_selection_timeout"
                  inputMode="numeric"
                  value={form.serverSelectionTimeout}
                  onChange={(e) => set({ serverSelectionTimeout: e.target.value })}
                />
              </label>
            )}
            {engine === 'postgres' && (
              <label>
                Statement timeout (ms)
                <input
                  name="statement_timeout"
                  inputMode="numeric"
                  value={form.statementTimeout}
                  onChange={(e) => set({ statementTimeout: e.target.value })}
                  placeholder="30000"
                />
              </label>
            )}
            {engine === 'postgres' && (
              <label>
                Lock timeout of schema changes (ms)
                <input
                  name="lock_timeout"
                  inputMode="numeric"
                  value={form.lockTimeout}
                  onChange={(e) => set({ lockTimeout: e.target.value })}
                  placeholder="5000"
                />
              </label>
            )}
            {engine !== 'redis' && (
              <label>
                Pool size
                <input name="pool_size" inputMode="numeric" value={form.poolSize} onChange={(e) => set({ poolSize: e.target.value })} placeholder="10" />
              </label>
            )}
          </div>
        </details>

        <label className="check">
          <input type="checkbox" name="is_primary" checked={form.isPrimary} onChange={(e) => set({ isPrimary: e.target.checked })} />
          Primary {ENGINE_LABELS[engine]} connection of the project
          {!original && <Hint>(the first one of an engine always is)</Hint>}
        </label>

        {/* Results sit next to the buttons, which stay in view when the form scrolls. */}
        <div className="form-footer">
          {report && <TestOutcome engine={engine} report={report} />}
          {note && <p className="muted small">{note}</p>}
          <ErrorMessage error={error} />
          <div className="buttons">
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
            <button type="button" onClick={runTest} disabled={busy !== null}>
              {busy === 'test' ? 'Testing…' : 'Test connection'}
            </button>
            <button type="submit" className="primary" disabled={busy !== null}>
              {busy === 'save' ? 'Saving…' : 'Save'}
            </button>
          </div>
        </div>
      </form>
    </div>
  )
}
