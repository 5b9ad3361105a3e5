// `/project/{ref}/databases/redis/pubsub`: subscribe to channels or patterns and watch messages
// arrive live, publish, and see the active channels. The feed keeps the last 1,000 messages and
// renders only the rows in view, so a busy channel does not slow the page down.
import { useRef, useState, type FormEvent } from 'react'
import { redis } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'
import { WriteButton } from '../components/WriteButton'
import { formatCount } from '../format'
import { useLoad } from '../useLoad'
import { useWindowRange } from '../useWindowRange'
import { RedisFrame, useRedisContext } from './RedisTabs'
import { KEEP, usePubSub, type LiveItem, type LiveStatus, type PubSub } from './usePubSub'

/** Height of a message row in pixels (fixed, for windowed rendering). */
const ROW_HEIGHT = 30
/** Characters of a message shown in its row; the whole of it shows when the row is clicked. */
const PREVIEW = 240

interface Props {
  projectRef: string
  connectionId?: string
}

function time(at: number): string {
  const d = new Date(at)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

const STATUS_TEXT: Record<LiveStatus, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  live: 'Live',
  retrying: 'Connection lost',
}

function ConnectionState({ live }: { live: PubSub }) {
  return (
    <span className={`live-state live-${live.status}`} role="status" data-status={live.status}>
      {STATUS_TEXT[live.status]}
      {live.status === 'retrying' && live.retryIn !== null && ` — retrying in ${live.retryIn} s`}
      {(live.status === 'retrying' || (live.status === 'idle' && live.channels.length + live.patterns.length > 0)) && (
        <button type="button" className="link" onClick={live.reconnect}>
          Reconnect now
        </button>
      )}
    </span>
  )
}

function SubscribeForm({ live }: { live: PubSub }) {
  const [name, setName] = useState('')
  const [kind, setKind] = useState<'channel' | 'pattern'>('channel')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const trimmed = name.trim()
    if (!trimmed) return
    live.subscribe(trimmed, kind === 'pattern')
    setName('')
  }
  const subscriptions = [
    ...live.channels.map((c) => ({ name: c, pattern: false })),
    ...live.patterns.map((p) => ({ name: p, pattern: true })),
  ]
  return (
    <div className="card">
      <h2>Subscribe</h2>
      <form className="inline-form" onSubmit={submit}>
        <select aria-label="Channel or pattern" value={kind} onChange={(e) => setKind(e.target.value as 'channel' | 'pattern')}>
          <option value="channel">Channel</option>
          <option value="pattern">Pattern</option>
        </select>
        <input
          name="subscribe-name"
          aria-label={kind === 'pattern' ? 'Pattern' : 'Channel'}
          placeholder={kind === 'pattern' ? 'news.*' : 'news'}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" disabled={!name.trim()}>
          Subscribe
        </button>
      </form>
      {kind === 'pattern' && <p className="muted small">Patterns are globs: * any text, ? one character, [ab] a set.</p>}
      {subscriptions.length > 0 ? (
        <ul className="chips" aria-label="Subscriptions">
          {subscriptions.map((s) => (
            <li key={`${s.pattern}:${s.name}`} className="chip" data-subscription={s.name}>
              <span className="mono">{s.name}</span>
              {s.pattern && <span className="badge">pattern</span>}
              <button
                type="button"
                className="link"
                aria-label={`Unsubscribe from ${s.name}`}
                title="Unsubscribe"
                onClick={() => live.unsubscribe(s.name, s.pattern)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No subscription yet. Subscribing opens a live connection.</p>
      )}
    </div>
  )
}

function PublishForm({
  projectRef,
  connectionId,
  writable,
  channel,
  setChannel,
  onPublished,
}: Props & { writable: boolean; channel: string; setChannel: (c: string) => void; onPublished: () => void }) {
  const [message, setMessage] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [reached, setReached] = useState<{ channel: string; count: number } | null>(null)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!channel) {
      setError(new Error('Name the channel to publish to.'))
      return
    }
    setBusy(true)
    setError(null)
    try {
      const answer = await redis.publish(projectRef, channel, message, connectionId)
      setReached({ channel, count: answer.subscribers_reached })
      onPublished()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="card publish" onSubmit={submit} noValidate>
      <h2>Publish</h2>
      <label>
        Channel
        <input name="publish-channel" value={channel} onChange={(e) => setChannel(e.target.value)} disabled={!writable} />
      </label>
      <label>
        Message
        <textarea name="publish-message" rows={3} value={message} onChange={(e) => setMessage(e.target.value)} disabled={!writable} />
      </label>
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      <div className="buttons">
        {reached && (
          <span className="muted publish-result" role="status">
            Delivered to {formatCount(reached.count)} {reached.count === 1 ? 'subscriber' : 'subscribers'} of{' '}
            <span className="mono">{reached.channel}</span>
          </span>
        )}
        <WriteButton allowed={writable} type="submit" className="primary" disabled={busy}>
          {busy ? 'Publishing…' : 'Publish'}
        </WriteButton>
      </div>
    </form>
  )
}

function ActiveChannels({
  projectRef,
  connectionId,
  version,
  subscribed,
  onPick,
  onSubscribe,
}: Props & {
  version: number
  /** Channels this page listens to already. */
  subscribed: string[]
  onPick: (c: string) => void
  onSubscribe: (c: string) => void
}) {
  const [patternInput, setPatternInput] = useState('')
  const [pattern, setPattern] = useState('')
  const active = useLoad(() => redis.channels(projectRef, pattern || undefined, connectionId), [projectRef, connectionId, pattern, version])
  return (
    <div className="card">
      <h2>Active channels</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault()
          if (patternInput.trim() === pattern) active.reload()
          else setPattern(patternInput.trim())
        }}
      >
        <input name="channel-pattern" aria-label="Channel filter" placeholder="Filter, e.g. news*" value={patternInput} onChange={(e) => setPatternInput(e.target.value)} />
        <button type="submit">Refresh</button>
      </form>
      <ErrorMessage error={active.error} />
      {active.data && active.data.channels.length === 0 && (
        <p className="muted small">
          No channel {pattern ? `matching ${pattern} ` : ''}has a subscriber right now. Subscribe above, or from another client.
        </p>
      )}
      {active.data && active.data.channels.length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Channel</th>
              <th className="num">Subscribers</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {active.data.channels.map((c) => (
              <tr key={c.channel} data-channel={c.channel}>
                <td className="mono">
                  <button type="button" className="link" title="Publish to this channel" onClick={() => onPick(c.channel)}>
                    {c.channel}
                  </button>
                </td>
                <td className="num">{formatCount(c.subscribers)}</td>
                <td className="actions">
                  {subscribed.includes(c.channel) ? (
                    <span className="muted small">subscribed</span>
                  ) : (
                    <button type="button" onClick={() => onSubscribe(c.channel)}>
                      Subscribe
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {active.data?.patternSubscriptions != null && (
        <p className="muted small">
          {formatCount(active.data.patternSubscriptions)} pattern{' '}
          {active.data.patternSubscriptions === 1 ? 'subscription' : 'subscriptions'} (Redis counts them but does not list them).
        </p>
      )}
    </div>
  )
}

function Row({ item, top, selected, onSelect }: { item: LiveItem; top: number; selected: boolean; onSelect: () => void }) {
  if (item.kind === 'missed') {
    return (
      <div role="row" className="feed-row missed" style={{ top }}>
        <span role="cell" className="muted mono">
          {time(item.at)}
        </span>
        <span role="cell" className="missed-text">
          Missed {item.count === 1 ? '1 message: the server dropped it' : `${formatCount(item.count)} messages: the server dropped them`}{' '}
          because this page read too slowly.
        </span>
      </div>
    )
  }
  const preview = item.data.length > PREVIEW ? item.data.slice(0, PREVIEW) : item.data
  return (
    <div
      role="row"
      className={selected ? 'feed-row selected' : 'feed-row'}
      style={{ top }}
      onClick={onSelect}
      data-channel={item.channel}
    >
      <span role="cell" className="muted mono">
        {time(item.at)}
      </span>
      <span role="cell" className="mono feed-channel" title={item.pattern ? `${item.channel} (via ${item.pattern})` : item.channel}>
        {item.channel}
        {item.pattern && <span className="muted"> · {item.pattern}</span>}
      </span>
      <span role="cell" className="mono feed-data">
        {item.base64 && <span className="badge">base64</span>} {preview.replace(/\s+/g, ' ')}
      </span>
    </div>
  )
}

function Detail({ item, onClose }: { item: Extract<LiveItem, { kind: 'message' }>; onClose: () => void }) {
  return (
    <div className="card message-detail" aria-label="Message">
      <header>
        <span>
          <span className="mono">{item.channel}</span>
          {item.pattern && <span className="muted"> via {item.pattern}</span>}
          <span className="muted"> · {time(item.at)} · {formatCount(item.length)} characters</span>
          {item.base64 && <span className="muted"> · binary, shown as base64</span>}
        </span>
        <button type="button" className="link" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {item.length > item.data.length && (
        <p className="notice">Only the first {formatCount(item.data.length)} characters were kept.</p>
      )}
      <pre className="value">{item.data}</pre>
    </div>
  )
}

function Feed({ live, writable }: { live: PubSub; writable: boolean }) {
  const anchor = useRef<HTMLDivElement | null>(null)
  const range = useWindowRange(live.items.length, ROW_HEIGHT, anchor)
  const [selected, setSelected] = useState<Extract<LiveItem, { kind: 'message' }> | null>(null)
  const subscribed = live.channels.length + live.patterns.length > 0
  return (
    <div className="feed">
      <div className="feed-bar">
        <ConnectionState live={live} />
        <span className="muted" data-received={live.received}>
          {formatCount(live.received)} {live.received === 1 ? 'message' : 'messages'}
          {live.received > KEEP && ` · the last ${formatCount(KEEP)} kept`}
        </span>
        {live.missed > 0 && (
          <span className="missed-total" role="alert">
            Missed {formatCount(live.missed)}
          </span>
        )}
        <span className="spacer" />
        {live.paused ? (
          <button type="button" className="primary" onClick={live.resume}>
            Resume{live.sincePause > 0 && ` (${formatCount(live.sincePause)} new)`}
          </button>
        ) : (
          <button type="button" onClick={live.pause} disabled={!subscribed && live.items.length === 0}>
            Pause
          </button>
        )}
        <button type="button" onClick={live.clear} disabled={live.items.length === 0 && live.received === 0}>
          Clear
        </button>
      </div>
      {live.paused && <p className="notice">Paused: new messages are kept (the last {formatCount(KEEP)}) and show when you resume.</p>}
      {selected && <Detail item={selected} onClose={() => setSelected(null)} />}
      <div role="table" className="feed-table" aria-label="Messages" aria-rowcount={live.items.length}>
        <div role="rowgroup" ref={anchor} className="feed-rows" style={{ height: live.items.length * ROW_HEIGHT }}>
          {live.items.slice(range.first, range.last).map((item, i) => (
            <Row
              key={item.seq}
              item={item}
              top={(range.first + i) * ROW_HEIGHT}
              selected={selected?.seq === item.seq}
              onSelect={() => item.kind === 'message' && setSelected(item)}
            />
          ))}
        </div>
        {live.items.length === 0 && (
          <p className="empty">
            {subscribed
              ? live.paused
                ? 'Paused.'
                : `Waiting for messages on ${[...live.channels, ...live.patterns].join(', ')}.${writable ? ' Publish one with the form on the left.' : ''}`
              : 'Subscribe to a channel or a pattern to watch its messages arrive here.'}
          </p>
        )}
      </div>
    </div>
  )
}

export function PubSubPage({ projectRef, connectionId }: Props) {
  const context = useRedisContext(projectRef, connectionId)
  const live = usePubSub(projectRef, connectionId)
  const [channel, setChannel] = useState('')
  // Bumped to refresh the channel list after a change of our own subscriptions or a publish.
  const [version, setVersion] = useState(0)
  const bump = () => setVersion((v) => v + 1)
  return (
    <RedisFrame projectRef={projectRef} connectionId={connectionId} tab="pubsub" context={context} title="Pub/Sub">
      <ErrorMessage error={live.error} onDismiss={live.dismissError} />
      <div className="pubsub">
        <div className="pubsub-side">
          <SubscribeForm live={live} />
          <PublishForm
            projectRef={projectRef}
            connectionId={connectionId}
            writable={context.writable}
            channel={channel}
            setChannel={setChannel}
            onPublished={bump}
          />
          <ActiveChannels
            projectRef={projectRef}
            connectionId={connectionId}
            version={version}
            subscribed={live.channels}
            onPick={setChannel}
            onSubscribe={(c) => {
              live.subscribe(c, false)
              bump()
            }}
          />
        </div>
        <Feed live={live} writable={context.writable} />
      </div>
    </RedisFrame>
  )
}
