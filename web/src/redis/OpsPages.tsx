// The Redis operations tabs: Slowlog (reset for admins), Clients (kill for admins) and Analysis
// (the keyspace analysis job: options, its progress bar, then memory and keys by namespace, the
// type mix, the TTL histogram and the biggest keys, each linking to the key in the browser).
import { useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { jobs, redisOps, roleAtLeast, type AnalysisResult, type Job, type RankedKey } from '../api'
import { TwoStepConfirm } from '../components/ConfirmAction'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatBytes, formatCount } from '../format'
import { Link } from '../router'
import { JobProgress } from '../ops/JobProgress'
import { Bars } from '../ops/Bars'
import { ADMIN_ONLY_TITLE } from '../ops/roles'
import { RedisFrame, redisHref, useRedisContext } from './RedisTabs'

interface Props {
  projectRef: string
  connectionId?: string
}

/** `1 key`, `1,500 keys`. */
function keysText(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'key' : 'keys'}`
}

function formatMicros(us: number): string {
  if (us < 1000) return `${us} µs`
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`
  return `${(us / 1_000_000).toFixed(2)} s`
}

/** `GET …/slowlog`: the slowest recent commands, newest first; admins may empty it. */
export function SlowlogPage({ projectRef, connectionId }: Props) {
  const context = useRedisContext(projectRef, connectionId)
  const admin = roleAtLeast(context.project?.role, 'admin')
  const client = useQueryClient()
  const key = ['redis-slowlog', projectRef, connectionId ?? '']
  const slowlog = useQuery({ queryKey: key, queryFn: () => redisOps.slowlog(projectRef, connectionId) })
  const reset = useMutation({
    mutationFn: () => redisOps.resetSlowlog(projectRef, connectionId),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  })
  const tools = (
    <>
      <button type="button" onClick={() => void slowlog.refetch()} disabled={slowlog.isFetching}>
        Refresh
      </button>
      {admin ? (
        <TwoStepConfirm
          confirmLabel="Reset slowlog"
          onConfirm={() => reset.mutateAsync().catch(() => {})}
          trigger={(ask) => (
            <button type="button" className="danger-outline" onClick={ask}>
              Reset…
            </button>
          )}
        />
      ) : (
        <button type="button" disabled title={ADMIN_ONLY_TITLE}>
          Reset…
        </button>
      )}
    </>
  )
  return (
    <RedisFrame projectRef={projectRef} connectionId={connectionId} tab="slowlog" context={context} title="Slowlog" tools={tools}>
      <ErrorMessage error={slowlog.error ?? reset.error} />
      {slowlog.data && slowlog.data.length === 0 && <p className="empty">The slowlog is empty.</p>}
      {slowlog.data && slowlog.data.length > 0 && (
        <table className="grid compact" aria-label="Slowlog">
          <thead>
            <tr>
              <th>When</th>
              <th className="num">Duration</th>
              <th>Command</th>
              <th>Client</th>
              {slowlog.data.some((e) => e.node) && <th>Node</th>}
            </tr>
          </thead>
          <tbody>
            {slowlog.data.map((e) => (
              <tr key={`${e.node ?? ''}/${e.id}`}>
                <td>{new Date(e.timestamp * 1000).toLocaleString()}</td>
                <td className="num">{formatMicros(e.duration_us)}</td>
                <td className="mono">{e.command.join(' ')}</td>
                <td className="mono">
                  {e.client_addr ?? ''}
                  {e.client_name ? ` (${e.client_name})` : ''}
                </td>
                {slowlog.data.some((x) => x.node) && <td className="mono">{e.node ?? ''}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </RedisFrame>
  )
}

/** `GET …/clients`: the connected clients; admins may kill one (quick two-step confirmation). */
export function ClientsPage({ projectRef, connectionId }: Props) {
  const context = useRedisContext(projectRef, connectionId)
  const admin = roleAtLeast(context.project?.role, 'admin')
  const client = useQueryClient()
  const key = ['redis-clients', projectRef, connectionId ?? '']
  const clients = useQuery({ queryKey: key, queryFn: () => redisOps.clients(projectRef, connectionId) })
  const [killError, setKillError] = useState<unknown>(null)
  const kill = async (id: number) => {
    setKillError(null)
    try {
      await redisOps.killClient(projectRef, id, connectionId)
    } catch (e) {
      setKillError(e)
    }
    await client.invalidateQueries({ queryKey: key })
  }
  const tools = (
    <button type="button" onClick={() => void clients.refetch()} disabled={clients.isFetching}>
      Refresh
    </button>
  )
  const nodes = clients.data?.some((c) => c.node) ?? false
  return (
    <RedisFrame projectRef={projectRef} connectionId={connectionId} tab="clients" context={context} title="Clients" tools={tools}>
      <ErrorMessage error={clients.error ?? killError} />
      {clients.data && (
        <table className="grid compact" aria-label="Clients">
          <thead>
            <tr>
              <th className="num">Id</th>
              <th>Address</th>
              <th>Name</th>
              <th className="num">Age</th>
              <th className="num">Idle</th>
              <th className="num">DB</th>
              <th>Last command</th>
              <th className="num">Memory</th>
              <th>Flags</th>
              {nodes && <th>Node</th>}
              <th />
            </tr>
          </thead>
          <tbody>
            {clients.data.map((c) => (
              <tr key={`${c.node ?? ''}/${c.id}`} data-client={c.id}>
                <td className="num">{c.id}</td>
                <td className="mono">{c.address}</td>
                <td>{c.name}</td>
                <td className="num">{formatCount(c.age)} s</td>
                <td className="num">{formatCount(c.idle)} s</td>
                <td className="num">{c.db}</td>
                <td className="mono">{c.last_command}</td>
                <td className="num">{formatBytes(c.memory)}</td>
                <td className="mono">{c.flags}</td>
                {nodes && <td className="mono">{c.node ?? ''}</td>}
                <td>
                  {admin && (
                    <TwoStepConfirm
                      confirmLabel="Kill client"
                      onConfirm={() => kill(c.id)}
                      trigger={(ask) => (
                        <button type="button" className="danger-outline" onClick={ask}>
                          Kill…
                        </button>
                      )}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </RedisFrame>
  )
}

/** The key browser opened on `k`. */
function keyHref(projectRef: string, connectionId: string | undefined, k: RankedKey): string {
  const base = redisHref(projectRef, 'keys', connectionId)
  const params = new URLSearchParams({ key: k.key })
  if (k.key_encoding === 'base64') params.set('key_encoding', 'base64')
  return `${base}${base.includes('?') ? '&' : '?'}${params.toString()}`
}

function RankedKeys({
  title,
  keys,
  amount,
  projectRef,
  connectionId,
}: {
  title: string
  keys: RankedKey[]
  amount: (k: RankedKey) => string
  projectRef: string
  connectionId?: string
}) {
  return (
    <div className="card analysis-card">
      <h3>{title}</h3>
      {keys.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="grid compact" aria-label={title}>
          <tbody>
            {keys.slice(0, 15).map((k) => (
              <tr key={`${k.key_encoding}:${k.key}`}>
                <td>
                  <Link href={keyHref(projectRef, connectionId, k)} className="mono" data-top-key={k.key}>
                    {k.key_encoding === 'base64' ? `base64:${k.key}` : k.key}
                  </Link>
                </td>
                <td>
                  <span className={`badge type-${k.type}`}>{k.type}</span>
                </td>
                <td className="num">{amount(k)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

/** The analysis report. */
export function AnalysisReport({ result, projectRef, connectionId }: { result: AnalysisResult; projectRef: string; connectionId?: string }) {
  const [depth, setDepth] = useState(1)
  const [by, setBy] = useState<'memory' | 'keys'>('memory')
  const level = result.namespaces.find((l) => l.depth === depth) ?? result.namespaces[0]
  const types = Object.entries(result.types).sort((a, b) => b[1].memory - a[1].memory || b[1].keys - a[1].keys)
  const fmt = by === 'memory' ? formatBytes : keysText
  return (
    <div className="analysis" data-analysis-result>
      <p>
        <strong>{formatCount(result.keys)}</strong> keys, about <strong>{formatBytes(result.memory.estimated_total)}</strong>
        {result.nodes > 1 ? ` on ${result.nodes} nodes` : ''}. <span className="muted">{result.memory.note}.</span>
      </p>
      <div className="analysis-grid">
        <div className="card analysis-card analysis-wide">
          <div className="toolbar">
            <h3>By namespace</h3>
            <select aria-label="Namespace depth" value={level?.depth ?? 1} onChange={(e) => setDepth(Number(e.target.value))}>
              {result.namespaces.map((l) => (
                <option key={l.depth} value={l.depth}>
                  {l.depth} level{l.depth > 1 ? 's' : ''} ({formatCount(l.total)})
                </option>
              ))}
            </select>
            <select aria-label="Measure" value={by} onChange={(e) => setBy(e.target.value === 'keys' ? 'keys' : 'memory')}>
              <option value="memory">memory</option>
              <option value="keys">keys</option>
            </select>
          </div>
          {!level || level.namespaces.length === 0 ? (
            <p className="muted">No key name contains the separator “{result.separator}”.</p>
          ) : (
            <Bars
              label="Namespaces"
              items={[...level.namespaces]
                .sort((a, b) => b[by] - a[by])
                .slice(0, 30)
                .map((n) => ({ label: `${n.name}${result.separator}*`, value: n[by], detail: by === 'memory' ? keysText(n.keys) : formatBytes(n.memory) }))}
              format={fmt}
            />
          )}
          {level && level.total > level.namespaces.length && (
            <p className="muted">The {formatCount(level.namespaces.length)} biggest of {formatCount(level.total)} namespaces.</p>
          )}
        </div>
        <div className="card analysis-card">
          <h3>Type mix</h3>
          <Bars
            label="Types"
            items={types.map(([type, t]) => ({ label: type, value: t.keys, detail: formatBytes(t.memory) }))}
            format={keysText}
          />
        </div>
        <div className="card analysis-card">
          <h3>Time to live</h3>
          <Bars
            label="TTL histogram"
            items={[{ label: 'no expiry', value: result.ttl.without_ttl }, ...result.ttl.buckets.map((b) => ({ label: b.label, value: b.keys }))]}
            format={keysText}
          />
        </div>
        <RankedKeys
          title="Biggest keys by memory"
          keys={result.biggest_by_memory}
          amount={(k) => formatBytes(k.amount)}
          projectRef={projectRef}
          connectionId={connectionId}
        />
        <RankedKeys
          title="Biggest keys by elements"
          keys={result.biggest_by_length}
          amount={(k) => (k.type === 'string' ? formatBytes(k.amount) : `${formatCount(k.amount)} elements`)}
          projectRef={projectRef}
          connectionId={connectionId}
        />
      </div>
    </div>
  )
}

/** `POST …/analysis`: options, the job's progress, then its report; the last analysis of this connection is shown on arrival. */
export function AnalysisPage({ projectRef, connectionId }: Props) {
  const context = useRedisContext(projectRef, connectionId)
  const activeId = context.active?.id
  const [separator, setSeparator] = useState(':')
  const [depth, setDepth] = useState(3)
  const [rate, setRate] = useState(10000)
  const [sample, setSample] = useState('')
  const [started, setStarted] = useState<string | null>(null)
  const start = useMutation({
    mutationFn: () =>
      redisOps.analysis(
        projectRef,
        { separator, depth, keys_per_second: rate, memory_sample_rate: sample ? Number(sample) : undefined },
        connectionId,
      ),
    onSuccess: (r) => setStarted(r.job_id),
  })
  // The newest analysis of this connection, so a reload (or a colleague's run) is not lost.
  const previous = useQuery({
    queryKey: ['jobs', projectRef],
    queryFn: () => jobs.list(projectRef),
    enabled: started === null && activeId !== undefined,
  })
  const last: Job | undefined = previous.data?.find((j) => j.kind === 'redis.analysis' && j.connection_id === activeId)
  const jobId = started ?? last?.id ?? null
  const submit = (e: FormEvent) => {
    e.preventDefault()
    start.mutate()
  }
  return (
    <RedisFrame projectRef={projectRef} connectionId={connectionId} tab="analysis" context={context} title="Analysis">
      <form className="toolbar analysis-options" onSubmit={submit}>
        <label>
          Separator <input value={separator} onChange={(e) => setSeparator(e.target.value)} size={3} maxLength={8} required />
        </label>
        <label>
          Levels{' '}
          <select value={depth} onChange={(e) => setDepth(Number(e.target.value))}>
            {[1, 2, 3, 4, 5].map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Keys per second{' '}
          <input type="number" min={1} max={1000000} value={rate} onChange={(e) => setRate(Number(e.target.value))} />
        </label>
        <label title="Share of keys whose memory is measured (empty: all up to 100,000 keys, one in ten above)">
          Memory sample{' '}
          <input type="number" min={0.001} max={1} step="any" placeholder="auto" value={sample} onChange={(e) => setSample(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={start.isPending}>
          {start.isPending ? 'Starting…' : 'Analyse keyspace'}
        </button>
      </form>
      <p className="muted">
        Scans every key at the rate given (so the server keeps serving), reading type, TTL and size; nothing is changed.
      </p>
      <ErrorMessage error={start.error ?? previous.error} />
      {jobId && (
        <JobProgress
          key={jobId}
          projectRef={projectRef}
          jobId={jobId}
          result={(job) => <AnalysisReport result={job.result as AnalysisResult} projectRef={projectRef} connectionId={connectionId} />}
        />
      )}
    </RedisFrame>
  )
}
