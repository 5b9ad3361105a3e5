// "Add connection" and "Edit": one form for every engine of the registry, by host and port or by
// connection string, with the options each engine accepts (its entry's fields). Passwords are write-only: the field starts empty,
// an empty field keeps the stored password, and "Clear password" removes it. "Test connection"
// tries the settings before they are saved.
import { useRef, useState, type FormEvent, type ReactNode } from 'react'
import type { Connection, ConnectionBody, ConnectionTestReport, Engine } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { ENGINES, engineOf } from '../engines/registry'
import type { FieldGroup, OptionField } from '../engines/types'
import {
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

function Hint({ children }: { children: ReactNode }) {
  return <span className="muted small">{children}</span>
}

/** A field's label text, with its hint after it when it has one. */
function caption(field: OptionField): ReactNode {
  return field.hint ? (
    <span>
      {field.label} <Hint>{field.hint}</Hint>
    </span>
  ) : (
    field.label
  )
}

/** One engine-specific input, bound to the form's values. */
function FieldInput({ field, form, set }: { field: OptionField; form: FormState; set: (patch: Partial<FormState>) => void }) {
  if (field.when && !field.when(form)) return null
  const value = form.values[field.name]
  const change = (next: string | boolean) => set({ values: { ...form.values, [field.name]: next } })
  if (field.kind === 'flag') {
    return (
      <label className={field.className} title={field.title}>
        <input type="checkbox" name={field.name} checked={value === true} onChange={(e) => change(e.target.checked)} />{' '}
        {field.label}
      </label>
    )
  }
  const raw = typeof value === 'string' ? value : ''
  return (
    <label className={field.className} title={field.title}>
      {caption(field)}
      {field.kind === 'select' || field.kind === 'tristate' ? (
        <select name={field.name} value={raw} onChange={(e) => change(e.target.value)}>
          {(field.choices ?? []).map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      ) : field.kind === 'textarea' ? (
        <textarea name={field.name} rows={3} spellCheck={false} value={raw} onChange={(e) => change(e.target.value)} placeholder={field.placeholder} />
      ) : (
        <input
          name={field.name}
          inputMode={field.kind === 'number' ? 'numeric' : undefined}
          value={raw}
          onChange={(e) => change(e.target.value)}
          placeholder={field.placeholder}
        />
      )}
    </label>
  )
}

/** Fields alone or side by side in a `form-row`. */
function FieldGroups({ groups, form, set }: { groups: FieldGroup[]; form: FormState; set: (patch: Partial<FormState>) => void }) {
  return groups.map((g) =>
    'row' in g ? (
      <div key={g.row.map((f) => f.name).join()} className="form-row">
        {g.row.map((f) => (
          <FieldInput key={f.name} field={f} form={form} set={set} />
        ))}
      </div>
    ) : (
      <FieldInput key={g.name} field={g} form={form} set={set} />
    ),
  )
}

export function ConnectionForm({ original, save, test, onSaved, onCancel }: Props) {
  const [form, setForm] = useState<FormState>(() => (original ? formFromConnection(original) : emptyForm(ENGINES[0].name)))
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
  const entry = engineOf(engine)
  const spec = entry.connectionForm
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
            <span className={`badge engine-${engine}`}>{entry.label}</span>
          </p>
        ) : (
          <label>
            Engine
            <select name="engine" value={engine} onChange={(e) => set(switchEngine(form, e.target.value as Engine))}>
              {ENGINES.map((e) => (
                <option key={e.name} value={e.name}>
                  {e.label}
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
            placeholder={spec.identifierPlaceholder}
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
                placeholder={spec.urlExample}
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
                  placeholder={String(entry.defaultPort)}
                />
              </label>
            </div>
            {original?.has_connection_string && (
              <p className="notice small">
                This connection was saved from a connection string, which stays on the server. Changing the host or
                port replaces it.
              </p>
            )}
            {spec.database && (
              <label>
                {spec.database.label}
                <input
                  name="database_name"
                  value={form.databaseName}
                  onChange={(e) => set({ databaseName: e.target.value })}
                  placeholder={spec.database.placeholder}
                />
              </label>
            )}
            <label>
              <span>
                User name {spec.usernameHint && <Hint>{spec.usernameHint}</Hint>}
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

        <FieldGroups groups={spec.main} form={form} set={set} />
        {spec.tlsLabel !== null && (
          <label className="check">
            <input type="checkbox" name="tls" checked={form.tls} onChange={(e) => set({ tls: e.target.checked })} />
            {spec.tlsLabel}
          </label>
        )}
        <FieldGroups groups={spec.tls} form={form} set={set} />

        <details>
          <summary>Timeouts and pool</summary>
          <div className="form-row wrap">
            <label>
              Connect timeout (ms)
              <input name="connect_timeout_ms" inputMode="numeric" value={form.connectTimeoutMs} onChange={(e) => set({ connectTimeoutMs: e.target.value })} placeholder="5000" />
            </label>
            <FieldGroups groups={spec.timeouts} form={form} set={set} />
          </div>
        </details>

        <label className="check">
          <input type="checkbox" name="is_primary" checked={form.isPrimary} onChange={(e) => set({ isPrimary: e.target.checked })} />
          Primary {entry.label} connection of the project
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
