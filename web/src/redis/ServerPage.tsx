// `/project/{ref}/databases/redis/server`: what INFO says (typed figures first, then every raw
// section), and live charts of operations per second, used memory and connected clients from the
// stats stream (one sample a second, the last five minutes).
import { useEffect, useState } from 'react'
import { ApiError, redis, type RedisInfo, type StatsSample } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatBytes, formatCount, formatTtl } from '../format'
import { useLoad } from '../useLoad'
import { trim, type Point } from './chart'
import { LineChart } from './LineChart'
import { RedisFrame, useRedisContext } from './RedisTabs'

/** What the charts show. */
const WINDOW_MS = 5 * 60 * 1000
/** Seconds between samples (the API allows 1-60). */
const INTERVAL_S = 1
/** Wait before reopening a stream that broke. */
const RETRY_MS = 3000

interface Props {
  projectRef: string
  connectionId?: string
}

interface Series {
  ops: Point[]
  memory: Point[]
  clients: Point[]
}

const EMPTY: Series = { ops: [], memory: [], clients: [] }

/** The series with one more sample, older ones past the window dropped. */
function addSample(s: Series, sample: StatsSample): Series {
  const t = sample.timestamp_ms
  return {
    ops: trim([...s.ops, { t, v: sample.ops_per_sec }], t, WINDOW_MS),
    memory: trim([...s.memory, { t, v: sample.used_memory }], t, WINDOW_MS),
    clients: trim([...s.clients, { t, v: sample.connected_clients }], t, WINDOW_MS),
  }
}

type StreamState = 'connecting' | 'live' | 'retrying' | 'stopped'

/** The stats stream, reopened after a break, closed when the page goes. */
function useStats(projectRef: string, connectionId: string | undefined, enabled: boolean) {
  const [series, setSeries] = useState<Series>(EMPTY)
  const [state, setState] = useState<StreamState>('connecting')
  const [error, setError] = useState<unknown>(null)

  useEffect(() => {
    if (!enabled) return
    const control = new AbortController()
    let retry = 0
    const run = () => {
      setState('connecting')
      redis
        .stats(
          projectRef,
          { interval: INTERVAL_S, connectionId },
          (e) => {
            if (e.type === 'sample') {
              setState('live')
              setError(null)
              setSeries((s) => addSample(s, e.sample))
            } else {
              setError(new Error(`Sampling failed: ${e.message}`))
            }
          },
          control.signal,
        )
        .then(
          () => {
            if (!control.signal.aborted) again(null)
          },
          (e: unknown) => {
            if (!control.signal.aborted) again(e)
          },
        )
    }
    const again = (e: unknown) => {
      setError(e)
      // Not signed in, not allowed, or no such connection: retrying will not help.
      if (e instanceof ApiError && [400, 401, 403, 404].includes(e.status)) {
        setState('stopped')
        return
      }
      setState('retrying')
      retry = window.setTimeout(run, RETRY_MS)
    }
    run()
    return () => {
      control.abort()
      window.clearTimeout(retry)
    }
  }, [projectRef, connectionId, enabled])

  return { series, state, error }
}

const STATE_TEXT: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: `Live · a sample every ${INTERVAL_S} s`,
  retrying: `Stream interrupted — retrying every ${RETRY_MS / 1000} s`,
  stopped: 'Stopped',
}

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="figure" title={hint ?? value}>
      <span className="muted">{label}</span>
      <strong>{value}</strong>
    </div>
  )
}

function num(n: number | null | undefined, format: (n: number) => string = formatCount): string {
  return typeof n === 'number' ? format(n) : '—'
}

function Summary({ info }: { info: RedisInfo }) {
  const max = info.memory.max_memory
  const keys = Object.entries(info.keyspace)
  return (
    <div className="figures">
      <Figure label="Version" value={info.server.version || '—'} />
      <Figure label="Mode" value={info.server.mode} />
      <Figure label="Role" value={info.replication.role ?? '—'} hint={`${num(info.replication.connected_slaves)} replicas connected`} />
      <Figure label="Uptime" value={num(info.server.uptime_seconds, formatTtl)} />
      <Figure label="Used memory" value={info.memory.used_memory_human ?? num(info.memory.used_memory, formatBytes)} />
      <Figure label="Max memory" value={max ? formatBytes(max) : 'no limit'} />
      <Figure label="Eviction policy" value={info.memory.eviction_policy ?? '—'} />
      <Figure label="Ops/sec" value={num(info.stats.ops_per_sec)} />
      <Figure label="Hit rate" value={`${(info.stats.hit_rate * 100).toFixed(1)} %`} hint={`${num(info.stats.keyspace_hits)} hits, ${num(info.stats.keyspace_misses)} misses`} />
      <Figure label="Commands processed" value={num(info.stats.total_commands_processed)} />
      <Figure label="Clients" value={num(info.clients.connected_clients)} hint={`${num(info.clients.blocked_clients)} blocked`} />
      <Figure label="AOF" value={info.persistence.aof_enabled ? 'on' : 'off'} />
      <Figure
        label="Last RDB save"
        value={info.persistence.rdb_last_save_time ? new Date(info.persistence.rdb_last_save_time * 1000).toLocaleString() : '—'}
      />
      <Figure label="Keys" value={keys.length === 0 ? 'none' : keys.map(([db, n]) => `${db}: ${formatCount(n)}`).join(', ')} />
    </div>
  )
}

/** Every INFO section as a table, folded; a filter opens the sections with matching fields. */
function RawSections({ sections }: { sections: RedisInfo['sections'] }) {
  const [filter, setFilter] = useState('')
  const needle = filter.trim().toLowerCase()
  const shown = Object.entries(sections)
    .map(([name, fields]) => {
      const rows = Object.entries(fields).filter(
        ([k, v]) => !needle || k.toLowerCase().includes(needle) || String(v).toLowerCase().includes(needle),
      )
      return { name, rows, total: Object.keys(fields).length }
    })
    .filter((s) => s.rows.length > 0)
  return (
    <section className="raw-info">
      <div className="toolbar">
        <h2>INFO sections</h2>
        <input
          name="info-filter"
          aria-label="Filter INFO fields"
          placeholder="Filter fields, e.g. memory"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      </div>
      {shown.length === 0 && <p className="muted">No INFO field matches {filter}.</p>}
      {shown.map((s) => (
        // Remounted when the filter starts or ends, so filtering opens the sections and clearing folds them.
        <details key={`${s.name}:${needle ? 'open' : 'folded'}`} open={!!needle} data-section={s.name}>
          <summary>
            <span className="section-name">{s.name}</span>{' '}
            <span className="muted">
              {needle ? `${s.rows.length} of ${s.total}` : s.total} {s.total === 1 ? 'field' : 'fields'}
            </span>
          </summary>
          <table className="grid compact">
            <tbody>
              {s.rows.map(([k, v]) => (
                <tr key={k}>
                  <td className="mono">{k}</td>
                  <td className="mono">{String(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </section>
  )
}

export function ServerPage({ projectRef, connectionId }: Props) {
  const context = useRedisContext(projectRef, connectionId)
  const info = useLoad(() => redis.info(projectRef, connectionId), [projectRef, connectionId])
  const stats = useStats(projectRef, connectionId, context.active !== undefined)
  const { series } = stats
  return (
    <RedisFrame
      projectRef={projectRef}
      connectionId={connectionId}
      tab="server"
      context={context}
      title="Server"
      tools={
        <button type="button" onClick={info.reload} disabled={info.loading}>
          {info.loading ? 'Reading INFO…' : 'Refresh INFO'}
        </button>
      }
    >
      <div className="charts-head">
        <h2>Live</h2>
        <span className={`live-state live-${stats.state}`} role="status" data-status={stats.state}>
          {STATE_TEXT[stats.state]}
        </span>
      </div>
      <ErrorMessage error={stats.error} />
      <div className="charts">
        <LineChart id="ops" title="Operations / s" points={series.ops} windowMs={WINDOW_MS} format={(v) => formatCount(Math.round(v))} />
        <LineChart id="memory" title="Used memory" points={series.memory} windowMs={WINDOW_MS} format={formatBytes} bytes />
        <LineChart id="clients" title="Connected clients" points={series.clients} windowMs={WINDOW_MS} format={(v) => formatCount(Math.round(v))} />
      </div>
      <ErrorMessage error={info.error} />
      {info.data && (
        <>
          <h2>Overview</h2>
          <Summary info={info.data} />
          <RawSections sections={info.data.sections} />
        </>
      )}
      {!info.data && info.loading && <p className="muted">Reading INFO…</p>}
    </RedisFrame>
  )
}
