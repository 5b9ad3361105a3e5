// `/project/{ref}/databases/postgres/performance`: the top statements from pg_stat_statements (or,
// when the extension is missing, how to enable it), the advisors' findings with their fix SQL
// (copy, or open in a new SQL editor tab), the biggest tables and the cache hit ratios.
import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { ApiError, pgPerf, signedInUserId, type AdvisorFinding, type StatsOrder } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { formatBytes, formatCount } from '../format'
import { navigate } from '../router'
import { PgHeader, pgHref, usePgContext } from './PgNav'
import { loadTabs, newTab, saveTabs, tabsKey } from './sqlwork/drafts'

interface Props {
  projectRef: string
  connectionId?: string
}

const ORDERS: { order: StatsOrder; label: string }[] = [
  { order: 'total_time', label: 'total time' },
  { order: 'mean_time', label: 'mean time' },
  { order: 'calls', label: 'calls' },
  { order: 'rows', label: 'rows' },
]

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const

function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`
  if (ms < 1000) return `${ms.toFixed(1)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

function formatRatio(r: number | null): string {
  return r === null ? '—' : `${(r * 100).toFixed(1)}%`
}

export function PerformancePage({ projectRef, connectionId }: Props) {
  const ctx = usePgContext(projectRef, connectionId)
  return (
    <section className="postgres performance-page">
      <PgHeader projectRef={projectRef} connectionId={connectionId} tab="performance" ctx={ctx} />
      {ctx.noConnection ? (
        <p className="empty">This project has no PostgreSQL connection yet.</p>
      ) : (
        <>
          <QueryStatsSection projectRef={projectRef} connectionId={connectionId} />
          <AdvisorsSection projectRef={projectRef} connectionId={connectionId} sqlConnection={connectionId ?? ctx.active?.id} />
        </>
      )}
    </section>
  )
}

function QueryStatsSection({ projectRef, connectionId }: Props) {
  const [order, setOrder] = useState<StatsOrder>('total_time')
  const stats = useQuery({
    queryKey: ['pg-query-stats', projectRef, connectionId ?? '', order],
    queryFn: () => pgPerf.queryStats(projectRef, connectionId, order, 50),
  })
  return (
    <section aria-label="Query statistics">
      <div className="toolbar">
        <h2>Top statements</h2>
        <label>
          by{' '}
          <select aria-label="Order statements by" value={order} onChange={(e) => setOrder(e.target.value as StatsOrder)}>
            {ORDERS.map((o) => (
              <option key={o.order} value={o.order}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void stats.refetch()} disabled={stats.isFetching}>
          Refresh
        </button>
      </div>
      <ErrorMessage error={stats.error} />
      {stats.data && !stats.data.available && (
        <div className="notice" data-query-stats="unavailable">
          <p>
            <strong>Query statistics need the pg_stat_statements extension.</strong>
          </p>
          <p>{stats.data.how_to_enable}</p>
        </div>
      )}
      {stats.data?.available && stats.data.statements.length === 0 && <p className="empty">No statement recorded yet.</p>}
      {stats.data?.available && stats.data.statements.length > 0 && (
        <table className="grid compact" aria-label="Top statements">
          <thead>
            <tr>
              <th>Statement</th>
              <th className="num">Calls</th>
              <th className="num">Total</th>
              <th className="num">Mean</th>
              <th className="num">Rows</th>
              <th className="num">Cache hits</th>
            </tr>
          </thead>
          <tbody>
            {stats.data.statements.map((s, i) => (
              <tr key={s.query_id ?? i}>
                <td className="mono activity-what">{s.query}</td>
                <td className="num">{formatCount(s.calls)}</td>
                <td className="num">{formatMs(s.total_time_ms)}</td>
                <td className="num">{formatMs(s.mean_time_ms)}</td>
                <td className="num">{formatCount(s.rows)}</td>
                <td className="num">{formatRatio(s.cache_hit_ratio)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** Puts `sql` in a new SQL editor tab of this user on `connection`, then opens the editor. */
function openInEditor(projectRef: string, connectionId: string | undefined, connection: string, sql: string, title: string) {
  const key = tabsKey(signedInUserId() ?? 'anonymous', connection)
  const state = loadTabs(key)
  const tab = newTab(sql, title, state.tabs)
  saveTabs(key, { tabs: [...state.tabs, tab], active: tab.id })
  navigate(pgHref(projectRef, 'sql', connectionId))
}

function Finding({
  finding,
  onOpen,
}: {
  finding: AdvisorFinding
  onOpen?: (sql: string) => void
}) {
  const [copied, setCopied] = useState(false)
  const copy = async (sql: string) => {
    try {
      await navigator.clipboard.writeText(sql)
      setCopied(true)
      window.setTimeout(() => setCopied(false), 1500)
    } catch {
      // No clipboard (an insecure origin): the text stays selectable on the page.
    }
  }
  return (
    <li className="card" data-finding={finding.check}>
      <p>
        <span className={`badge severity-${finding.severity}`}>{finding.severity}</span> <strong>{finding.check}</strong>{' '}
        <code>{finding.object}</code>
      </p>
      <p>{finding.message}</p>
      {finding.fix_sql && (
        <>
          <pre className="fix-sql mono" aria-label="Fix SQL">
            {finding.fix_sql}
          </pre>
          <div className="buttons">
            <button type="button" onClick={() => void copy(finding.fix_sql ?? '')}>
              {copied ? 'Copied' : 'Copy SQL'}
            </button>
            {onOpen && (
              <button type="button" onClick={() => onOpen(finding.fix_sql ?? '')}>
                Open in SQL editor
              </button>
            )}
          </div>
        </>
      )}
    </li>
  )
}

function AdvisorsSection({ projectRef, connectionId, sqlConnection }: Props & { sqlConnection?: string }) {
  const advisors = useQuery({
    queryKey: ['pg-advisors', projectRef, connectionId ?? ''],
    queryFn: () => pgPerf.advisors(projectRef, connectionId),
  })
  const findings = [...(advisors.data?.findings ?? [])].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity])
  const missing = advisors.error instanceof ApiError && advisors.error.status === 404
  return (
    <section aria-label="Advisors">
      <div className="toolbar">
        <h2>Advisors</h2>
        <button type="button" onClick={() => void advisors.refetch()} disabled={advisors.isFetching}>
          Refresh
        </button>
      </div>
      {missing ? <p className="muted">This server does not offer advisors yet.</p> : <ErrorMessage error={advisors.error} />}
      {advisors.data && (
        <>
          <p>
            Cache hit ratio: tables <strong>{formatRatio(advisors.data.cache_hit_ratio.table)}</strong>, indexes{' '}
            <strong>{formatRatio(advisors.data.cache_hit_ratio.index)}</strong>
          </p>
          {findings.length === 0 ? (
            <p className="empty">No finding: nothing to fix.</p>
          ) : (
            <ul className="findings" aria-label="Findings">
              {findings.map((f, i) => (
                <Finding
                  key={`${f.check}/${f.object}/${i}`}
                  finding={f}
                  onOpen={sqlConnection ? (sql) => openInEditor(projectRef, connectionId, sqlConnection, sql, `Fix ${f.check}`) : undefined}
                />
              ))}
            </ul>
          )}
          {advisors.data.tables.length > 0 && (
            <>
              <h2>Biggest tables</h2>
              <table className="grid compact" aria-label="Tables by size">
                <thead>
                  <tr>
                    <th>Table</th>
                    <th className="num">Total</th>
                    <th className="num">Data</th>
                    <th className="num">Indexes</th>
                    <th className="num">Rows (est.)</th>
                    <th className="num">Seq scans</th>
                    <th className="num">Index scans</th>
                  </tr>
                </thead>
                <tbody>
                  {advisors.data.tables.map((t) => (
                    <tr key={`${t.schema}.${t.name}`}>
                      <td className="mono">
                        {t.schema}.{t.name}
                      </td>
                      <td className="num">{formatBytes(t.total_bytes)}</td>
                      <td className="num">{formatBytes(t.table_bytes)}</td>
                      <td className="num">{formatBytes(t.index_bytes)}</td>
                      <td className="num">{formatCount(t.rows_estimate)}</td>
                      <td className="num">{formatCount(t.seq_scan)}</td>
                      <td className="num">{formatCount(t.idx_scan)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </section>
  )
}
