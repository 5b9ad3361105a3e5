// `/project/{ref}/databases/redis/cli`: a command line on the project's Redis. Each line is split
// into arguments like redis-cli does and sent to `POST /command`; the server decides from the
// command's own COMMAND INFO flags whether the user's role may run it. Replies are drawn by type.
// The history (up/down arrows) is kept per user and connection in localStorage.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react'
import { ApiError, signedInUserId, redisTools, type CommandReply } from '../api'
import { historyKey, loadHistory, remember, splitArgs, step } from './commandLine'
import { RedisFrame, useRedisContext } from './RedisTabs'

interface Entry {
  id: number
  line: string
  reply?: CommandReply
  error?: string
}

/** A reply, drawn like redis-cli: nil, (integer), "strings", numbered nested arrays, red errors. */
export function Reply({ value }: { value: CommandReply }) {
  if (value === null) return <span className="reply-nil">(nil)</span>
  if (typeof value === 'number') return <span className="reply-int">(integer) {value}</span>
  if (typeof value === 'boolean') return <span className="reply-int">({String(value)})</span>
  if (typeof value === 'string') return <span className="reply-string">"{value}"</span>
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="reply-nil">(empty array)</span>
    return (
      <ol className="reply-array" start={1}>
        {value.map((v, i) => (
          <li key={i}>
            <Reply value={v} />
          </li>
        ))}
      </ol>
    )
  }
  if ('base64' in value && typeof value.base64 === 'string' && Object.keys(value).length === 1) {
    return <span className="reply-string">(binary, base64) {value.base64}</span>
  }
  if ('error' in value && typeof value.error === 'string' && Object.keys(value).length === 1) {
    return <span className="reply-error">(error) {value.error}</span>
  }
  return (
    <dl className="reply-map">
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <Reply value={v} />
          </dd>
        </div>
      ))}
    </dl>
  )
}

export function CommandLinePage({ projectRef, connectionId }: { projectRef: string; connectionId?: string }) {
  const context = useRedisContext(projectRef, connectionId)
  const storageKey = historyKey(signedInUserId() ?? 'anonymous', projectRef, connectionId)
  const [history, setHistory] = useState<string[]>(() => loadHistory(localStorage, storageKey))
  const [position, setPosition] = useState(history.length)
  const [line, setLine] = useState('')
  const [entries, setEntries] = useState<Entry[]>([])
  const [running, setRunning] = useState(false)
  const nextId = useRef(0)
  const bottom = useRef<HTMLDivElement | null>(null)

  useEffect(() => {
    try {
      localStorage.setItem(storageKey, JSON.stringify(history))
    } catch {
      // Storage can be full or unavailable; the history then lasts as long as the page.
    }
  }, [storageKey, history])

  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'nearest' })
  }, [entries])

  const run = async () => {
    const typed = line.trim()
    if (!typed || running) return
    const id = nextId.current++
    const grown = remember(history, typed)
    setHistory(grown)
    setPosition(grown.length)
    setLine('')
    let args: string[]
    try {
      args = splitArgs(typed)
    } catch (e) {
      setEntries((list) => [...list, { id, line: typed, error: e instanceof Error ? e.message : String(e) }])
      return
    }
    if (args.length === 0) return
    setRunning(true)
    try {
      const { reply } = await redisTools.command(projectRef, args, connectionId)
      setEntries((list) => [...list, { id, line: typed, reply }])
    } catch (e) {
      const message = e instanceof ApiError || e instanceof Error ? e.message : String(e)
      setEntries((list) => [...list, { id, line: typed, error: message }])
    } finally {
      setRunning(false)
    }
  }

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      void run()
    } else if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      event.preventDefault()
      const next = step(history, position, event.key === 'ArrowUp' ? 'up' : 'down')
      setPosition(next)
      setLine(history[next] ?? '')
    }
  }

  return (
    <RedisFrame
      projectRef={projectRef}
      connectionId={connectionId}
      tab="cli"
      context={context}
      title="Command line"
      tools={
        <button type="button" onClick={() => setEntries([])} disabled={entries.length === 0}>
          Clear
        </button>
      }
    >
      <div className="cli" role="log" aria-label="Command output">
        {entries.length === 0 && (
          <p className="muted">
            Type a command, e.g. <code>HGETALL user:1</code>. Your role decides what runs: viewers read, developers
            change data, admins manage the server. ↑/↓ walk your history.
          </p>
        )}
        {entries.map((e) => (
          <div key={e.id} className="cli-entry">
            <div className="cli-line mono">
              <span className="prompt">&gt;</span> {e.line}
            </div>
            <div className="cli-reply mono" data-testid="reply">
              {e.error !== undefined ? (
                <span className="reply-error" role="alert">
                  (error) {e.error}
                </span>
              ) : (
                <Reply value={e.reply ?? null} />
              )}
            </div>
          </div>
        ))}
        <div ref={bottom} />
      </div>
      <div className="cli-input">
        <span className="prompt mono">&gt;</span>
        <input
          className="mono"
          aria-label="Command"
          placeholder="GET user:1"
          value={line}
          autoFocus
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => setLine(e.target.value)}
          onKeyDown={onKeyDown}
          disabled={!context.active}
        />
        <button type="button" className="primary" onClick={() => void run()} disabled={running || !line.trim()}>
          {running ? 'Running…' : 'Run'}
        </button>
      </div>
    </RedisFrame>
  )
}
