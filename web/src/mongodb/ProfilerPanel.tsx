// A database's profiler: its level and slow threshold (admins change them), and the slow operations
// it recorded in system.profile, newest first, each with its plan summary and what it examined.
import { useCallback, useState, type FormEvent } from 'react'
import { mongodbOps, type MongoConn, type MongoProfileEntry, type Role } from '../api'
import { formatCount } from '../format'
import { useLoad } from '../useLoad'
import { MongoError } from './errors'
import { canAdmin } from './roles'

const LEVELS = ['Off', 'Slow operations', 'Every operation']

/** `ts` of a profile entry (relaxed Extended JSON `{"$date": …}`) as a local time. */
export function profileTime(ts: unknown): string {
  const value = ts && typeof ts === 'object' && '$date' in ts ? (ts as { $date: unknown }).$date : ts
  const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : null
  return date && !Number.isNaN(date.getTime()) ? date.toLocaleString() : '—'
}

function count(n: number | null): string {
  return n === null ? '—' : formatCount(n)
}

function Settings({ at, db, role }: { at: MongoConn; db: string; role: Role | undefined }) {
  const load = useCallback(() => mongodbOps.profiling(at, db), [at, db])
  const settings = useLoad(load, [load])
  const [level, setLevel] = useState<number | null>(null)
  const [slowms, setSlowms] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const admin = canAdmin(role)
  const current = settings.data
  const shownLevel = level ?? current?.level ?? 0
  const threshold = slowms.trim() === '' ? undefined : Number(slowms)
  const valid = threshold === undefined || (Number.isInteger(threshold) && threshold >= 0 && threshold <= 3_600_000)

  const save = async (event: FormEvent) => {
    event.preventDefault()
    if (!admin || !valid || busy) return
    setBusy(true)
    setError(null)
    try {
      await mongodbOps.setProfiling(at, db, shownLevel, threshold)
      setLevel(null)
      setSlowms('')
      settings.reload()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="profiler-settings toolbar" onSubmit={save} aria-label="Profiler settings">
      <label>
        Level{' '}
        <select
          name="profiler-level"
          value={shownLevel}
          disabled={!admin}
          onChange={(e) => setLevel(Number(e.target.value))}
          title={admin ? undefined : 'Changing the profiler needs the admin role'}
        >
          {LEVELS.map((label, i) => (
            <option key={label} value={i}>
              {i} · {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Slower than (ms){' '}
        <input
          name="profiler-slowms"
          type="number"
          min={0}
          placeholder={current?.slowms?.toString() ?? '100'}
          value={slowms}
          disabled={!admin}
          className={valid ? '' : 'invalid'}
          onChange={(e) => setSlowms(e.target.value)}
        />
      </label>
      {admin && (
        <button type="submit" className="primary" disabled={busy || !valid}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      )}
      <span className="muted small">
        {current
          ? `Now: ${current.level === null ? 'not reported by this server' : LEVELS[current.level] ?? current.level}` +
            (current.slowms === null ? '' : `, slow above ${current.slowms} ms (mongod applies it to the whole server)`)
          : ''}
      </span>
      <MongoError error={settings.error ?? error} onDismiss={error ? () => setError(null) : undefined} />
    </form>
  )
}

function Entry({ entry }: { entry: MongoProfileEntry }) {
  return (
    <tr>
      <td>{profileTime(entry.ts)}</td>
      <td>{entry.op ?? ''}</td>
      <td className="mono">{entry.ns ?? ''}</td>
      <td className="num">{count(entry.millis)}</td>
      <td className="mono">{entry.plan_summary ?? ''}</td>
      <td className="num">{count(entry.docs_examined)}</td>
      <td className="num">{count(entry.keys_examined)}</td>
      <td className="num">{count(entry.n_returned)}</td>
      <td className="mono">{entry.user ?? entry.client ?? ''}</td>
      <td className="mono profile-command">
        {entry.command && (
          <details>
            <summary>{Object.keys(entry.command)[0] ?? 'command'}</summary>
            <pre>{JSON.stringify(entry.command, null, 2)}</pre>
          </details>
        )}
      </td>
    </tr>
  )
}

export function ProfilerPanel({ at, db, role }: { at: MongoConn; db: string; role: Role | undefined }) {
  const [minMillis, setMinMillis] = useState('')
  const min = minMillis.trim() === '' ? undefined : Math.max(0, Math.floor(Number(minMillis)) || 0)
  const load = useCallback(() => mongodbOps.profile(at, db, min), [at, db, min])
  const entries = useLoad(load, [load])
  return (
    <section className="profiler" aria-label="Profiler">
      <h3>Profiler</h3>
      <Settings at={at} db={db} role={role} />
      <div className="toolbar">
        <label>
          At least (ms){' '}
          <input name="profile-min-millis" type="number" min={0} value={minMillis} onChange={(e) => setMinMillis(e.target.value)} />
        </label>
        <button type="button" className="link small" onClick={entries.reload}>
          Refresh
        </button>
      </div>
      <MongoError error={entries.error} />
      {entries.data && entries.data.length === 0 && (
        <p className="empty">No slow operations recorded. With the profiler at level 1, operations slower than the threshold appear here.</p>
      )}
      {entries.data && entries.data.length > 0 && (
        <table className="grid compact" aria-label="Slow operations">
          <thead>
            <tr>
              <th>When</th>
              <th>Op</th>
              <th>Namespace</th>
              <th className="num">ms</th>
              <th>Plan</th>
              <th className="num">Docs examined</th>
              <th className="num">Keys examined</th>
              <th className="num">Returned</th>
              <th>Who</th>
              <th>Command</th>
            </tr>
          </thead>
          <tbody>
            {entries.data.map((entry, i) => (
              <Entry key={i} entry={entry} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
