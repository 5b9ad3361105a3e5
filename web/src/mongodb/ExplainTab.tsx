// The Explain tab: a find (filter, sort, projection) or a pipeline, explained by the server with
// queryPlanner (plans only) or executionStats (runs the winning plan's reads, never a write). Shows
// the index used or a collection scan, documents and keys examined, and the winning plan as a tree.
import { useState } from 'react'
import { mongodbOps, type MongoConn, type MongoExplanation, type MongoPlanStage } from '../api'
import { formatCount } from '../format'
import { checkOptional, checkPipeline } from './shell'
import { MongoError } from './errors'
import { JsonTextArea, useChecked } from './JsonTextArea'

type Mode = 'find' | 'aggregate'
type Verbosity = 'queryPlanner' | 'executionStats'

const STARTER_PIPELINE = '[\n  { "$match": {} }\n]'

function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : formatCount(n)
}

/** One stage and its inputs, nested. */
function PlanNode({ node }: { node: MongoPlanStage }) {
  const facts: string[] = []
  if (node.index_name) facts.push(`index ${node.index_name}`)
  if (node.key_pattern) facts.push(JSON.stringify(node.key_pattern))
  if (node.direction) facts.push(node.direction)
  if (node.n_returned !== null) facts.push(`returned ${count(node.n_returned)}`)
  if (node.docs_examined !== null) facts.push(`docs examined ${count(node.docs_examined)}`)
  if (node.keys_examined !== null) facts.push(`keys examined ${count(node.keys_examined)}`)
  if (node.time_ms_estimate !== null) facts.push(`~${node.time_ms_estimate} ms`)
  return (
    <li className="plan-node" data-stage={node.stage ?? ''}>
      <div className="plan-stage">
        <span className={node.stage === 'COLLSCAN' ? 'badge warn' : 'badge'}>{node.stage ?? 'stage'}</span>
        {facts.length > 0 && <span className="muted small"> {facts.join(' · ')}</span>}
        {node.details.map((d) => (
          <div key={d} className="muted small plan-detail">
            {d}
          </div>
        ))}
        {node.filter && <code className="small plan-filter">{JSON.stringify(node.filter)}</code>}
      </div>
      {node.inputs.length > 0 && (
        <ul>
          {node.inputs.map((input, i) => (
            <PlanNode key={i} node={input} />
          ))}
        </ul>
      )}
    </li>
  )
}

function Summary({ plan }: { plan: MongoExplanation }) {
  const x = plan.execution
  return (
    <div className="explain-summary">
      <div className="stat">
        <span className="muted small">Index used</span>
        <strong data-testid="index-used">
          {plan.indexes_used.length > 0 ? plan.indexes_used.join(', ') : plan.collection_scan ? 'none (collection scan)' : 'none reported'}
        </strong>
      </div>
      {x && (
        <>
          <div className="stat">
            <span className="muted small">Returned</span>
            <strong>{count(x.n_returned)}</strong>
          </div>
          <div className="stat">
            <span className="muted small">Documents examined</span>
            <strong data-testid="docs-examined">{count(x.docs_examined)}</strong>
          </div>
          <div className="stat">
            <span className="muted small">Keys examined</span>
            <strong data-testid="keys-examined">{count(x.keys_examined)}</strong>
          </div>
          <div className="stat">
            <span className="muted small">Time</span>
            <strong>{x.time_ms === null ? '—' : `${x.time_ms} ms`}</strong>
          </div>
        </>
      )}
      <div className="stat">
        <span className="muted small">Rejected plans</span>
        <strong>{plan.rejected_plans}</strong>
      </div>
    </div>
  )
}

export function ExplainTab({ at, db, collection }: { at: MongoConn; db: string; collection: string }) {
  const [mode, setMode] = useState<Mode>('find')
  const [filter, setFilter] = useState('')
  const [sort, setSort] = useState('')
  const [projection, setProjection] = useState('')
  const [pipeline, setPipeline] = useState(STARTER_PIPELINE)
  const [verbosity, setVerbosity] = useState<Verbosity>('executionStats')
  const [busy, setBusy] = useState(false)
  const [plan, setPlan] = useState<MongoExplanation | null>(null)
  const [error, setError] = useState<unknown>(null)
  const filterCheck = useChecked(filter, checkOptional)
  const sortCheck = useChecked(sort, checkOptional)
  const projectionCheck = useChecked(projection, checkOptional)
  const pipelineCheck = useChecked(pipeline, checkPipeline)
  const findValid = filterCheck.checked.ok && sortCheck.checked.ok && projectionCheck.checked.ok
  const valid = mode === 'find' ? findValid : pipelineCheck.checked.ok && pipelineCheck.current

  const run = async () => {
    if (!valid || busy) return
    setBusy(true)
    setError(null)
    try {
      let request
      if (mode === 'aggregate') {
        if (!pipelineCheck.checked.ok) return
        request = { kind: 'aggregate' as const, pipeline: pipelineCheck.checked.value.ejson }
      } else {
        if (!filterCheck.checked.ok || !sortCheck.checked.ok || !projectionCheck.checked.ok) return
        request = {
          kind: 'find' as const,
          filter: filterCheck.checked.value?.ejson,
          sort: sortCheck.checked.value?.ejson,
          projection: projectionCheck.checked.value?.ejson,
        }
      }
      setPlan(await mongodbOps.explain(at, db, collection, request, verbosity))
    } catch (e) {
      setPlan(null)
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const problem = (c: { checked: { ok: boolean } }) => (c.checked.ok ? 'narrow-json' : 'narrow-json invalid')
  return (
    <div className="explain-tab">
      <div className="toolbar">
        <label className="inline">
          <input type="radio" name="explain-mode" checked={mode === 'find'} onChange={() => setMode('find')} /> Find
        </label>
        <label className="inline">
          <input type="radio" name="explain-mode" checked={mode === 'aggregate'} onChange={() => setMode('aggregate')} /> Aggregation
        </label>
      </div>
      {mode === 'find' ? (
        <div className="query-bar">
          <input name="explain-filter" placeholder='Filter, e.g. { "age": { "$gt": 30 } }' value={filter} onChange={(e) => setFilter(e.target.value)} className={problem(filterCheck)} onKeyDown={(e) => e.key === 'Enter' && void run()} />
          <input name="explain-sort" placeholder='Sort, e.g. { "age": -1 }' value={sort} onChange={(e) => setSort(e.target.value)} className={problem(sortCheck)} />
          <input name="explain-projection" placeholder='Projection, e.g. { "name": 1 }' value={projection} onChange={(e) => setProjection(e.target.value)} className={problem(projectionCheck)} />
        </div>
      ) : (
        <JsonTextArea
          name="explain-pipeline"
          label="Pipeline (an array of stages)"
          value={pipeline}
          onChange={setPipeline}
          checked={pipelineCheck.current ? pipelineCheck.checked : null}
          rows={8}
          onSubmit={() => void run()}
        />
      )}
      <div className="toolbar run-bar">
        <button type="button" className="primary" disabled={!valid || busy} onClick={() => void run()}>
          {busy ? 'Explaining…' : 'Explain'}
        </button>
        <label className="inline">
          <span className="muted small">Verbosity</span>
          <select name="verbosity" value={verbosity} onChange={(e) => setVerbosity(e.target.value as Verbosity)}>
            <option value="executionStats">executionStats (runs the reads)</option>
            <option value="queryPlanner">queryPlanner (plans only)</option>
          </select>
        </label>
        <span className="muted small">Explain never writes: a pipeline with $out or $merge is only planned.</span>
      </div>
      <MongoError error={error} onDismiss={() => setError(null)} />
      {plan && (
        <div className="explain-result">
          <Summary plan={plan} />
          {plan.stages.length > 0 && (
            <p className="muted small">
              Stages: <span data-testid="plan-stages">{plan.stages.join(' ← ')}</span>
              {plan.pipeline_stages.length > 0 && <> · then {plan.pipeline_stages.join(' → ')}</>}
            </p>
          )}
          <h3>Winning plan</h3>
          {plan.winning_plan ? (
            <ul className="plan-tree">
              <PlanNode node={plan.winning_plan} />
            </ul>
          ) : (
            <p className="empty">The server gave no winning plan.</p>
          )}
          <details>
            <summary className="muted small">The server's explain output</summary>
            <pre className="small raw-explain">{JSON.stringify(plan.raw, null, 2)}</pre>
          </details>
        </div>
      )}
      {!plan && !error && <p className="empty">Write a query and press Explain.</p>}
    </div>
  )
}
