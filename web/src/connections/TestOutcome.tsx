// The answer of a connection test in one line: the server's version and round trip, or why it failed.
import type { ConnectionTestReport, Engine } from '../api'
import { engineOf } from '../engines/registry'

/** "Connected to Redis 7.2.4 in 0.4 ms (standalone)" or "Connection failed: …". */
export function describeReport(engine: Engine, r: ConnectionTestReport): string {
  if (!r.success) return `Connection failed: ${r.error?.trim() || 'the server gave no reason.'}`
  const version = r.version ? ` ${r.version}` : ''
  const latency = typeof r.latency_ms === 'number' ? ` in ${r.latency_ms} ms` : ''
  const facts = [r.mode, r.topology, r.database && `database ${r.database}`, r.user && `as ${r.user}`].filter(Boolean)
  return `Connected to ${engineOf(engine).label}${version}${latency}${facts.length ? ` (${facts.join(', ')})` : ''}.`
}

export function TestOutcome({ engine, report }: { engine: Engine; report: ConnectionTestReport }) {
  return report.success ? (
    <p className="test-ok" role="status">
      {describeReport(engine, report)}
    </p>
  ) : (
    <div className="error" role="alert">
      <span>{describeReport(engine, report)}</span>
    </div>
  )
}
