// The JSON plan of EXPLAIN as an indented tree of nodes: type, relation, cost and rows per node,
// with the raw JSON a click away.
import { useState } from 'react'

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] }

function rootPlan(plan: unknown): PlanNode | null {
  // EXPLAIN (FORMAT JSON) gives `[{"Plan": {…}}]`; accept the inner shapes too.
  const top = Array.isArray(plan) ? plan[0] : plan
  if (top && typeof top === 'object') {
    const inner = (top as Record<string, unknown>)['Plan'] ?? (top as Record<string, unknown>)['QUERY PLAN']
    if (Array.isArray(inner)) return rootPlan(inner)
    if (inner && typeof inner === 'object') return inner as PlanNode
    if ('Node Type' in top) return top as PlanNode
  }
  return null
}

function Node({ node }: { node: PlanNode }) {
  const relation = node['Relation Name'] ? ` on ${node['Schema'] ? `${String(node['Schema'])}.` : ''}${String(node['Relation Name'])}` : ''
  const index = node['Index Name'] ? ` using ${String(node['Index Name'])}` : ''
  const extra = ['Filter', 'Index Cond', 'Hash Cond', 'Join Filter', 'Sort Key', 'Group Key']
    .filter((k) => node[k] !== undefined)
    .map((k) => `${k}: ${Array.isArray(node[k]) ? (node[k] as unknown[]).join(', ') : String(node[k])}`)
  return (
    <li>
      <span className="plan-node">
        <strong>{String(node['Node Type'] ?? '?')}</strong>
        {relation}
        {index}
      </span>{' '}
      <span className="muted">
        cost {String(node['Startup Cost'] ?? '?')}..{String(node['Total Cost'] ?? '?')} · rows{' '}
        {String(node['Plan Rows'] ?? '?')} · width {String(node['Plan Width'] ?? '?')}
      </span>
      {extra.map((e) => (
        <div key={e} className="plan-extra mono">
          {e}
        </div>
      ))}
      {node.Plans && node.Plans.length > 0 && (
        <ul>
          {node.Plans.map((child, i) => (
            <Node key={i} node={child} />
          ))}
        </ul>
      )}
    </li>
  )
}

export function PlanView({ plan }: { plan: unknown }) {
  const root = rootPlan(plan)
  const [raw, setRaw] = useState(root === null)
  return (
    <div className="plan">
      <div className="toolbar">
        <h2>Query plan</h2>
        {root && (
          <button type="button" className="link" onClick={() => setRaw(!raw)}>
            {raw ? 'Show as tree' : 'Show JSON'}
          </button>
        )}
      </div>
      {raw || !root ? (
        <pre className="value mono">{JSON.stringify(plan, null, 2)}</pre>
      ) : (
        <ul className="plan-tree">
          <Node node={root} />
        </ul>
      )}
    </div>
  )
}
