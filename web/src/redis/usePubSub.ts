// A live Pub/Sub session: the WebSocket (opened by api.ts), the channels and patterns wanted, the
// last N messages, and reconnection with backoff. Messages land in a ring buffer and reach React at
// most once per animation frame, so a flood of messages costs one render per frame, not one each.
import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, openPubSub, redis, type PubSubServerMessage, type PubSubSocket } from '../api'
import { Ring } from './ring'

/** Messages kept (and shown); older ones are dropped. */
export const KEEP = 1000
/** Characters of a message kept: a 4 MB message must not sit in memory a thousand times. */
export const MAX_STORED = 64 * 1024
/** Longest wait between reconnection attempts. */
const MAX_BACKOFF_S = 30

export type LiveStatus = 'idle' | 'connecting' | 'live' | 'retrying'

export type LiveItem =
  | {
      kind: 'message'
      seq: number
      /** Arrival, milliseconds since the epoch. */
      at: number
      channel: string
      pattern?: string
      /** The message, cut to `MAX_STORED` characters. */
      data: string
      /** Characters of the whole message. */
      length: number
      base64: boolean
    }
  | { kind: 'missed'; seq: number; at: number; count: number }

export interface PubSub {
  status: LiveStatus
  /** Seconds before the next attempt, while retrying. */
  retryIn: number | null
  error: unknown
  dismissError: () => void
  channels: string[]
  patterns: string[]
  /** What is shown, newest first (frozen while paused). */
  items: LiveItem[]
  /** Messages received since the last clear. */
  received: number
  /** Messages the server dropped for this client since the last clear. */
  missed: number
  paused: boolean
  /** Messages received since pausing. */
  sincePause: number
  subscribe: (name: string, pattern: boolean) => void
  unsubscribe: (name: string, pattern: boolean) => void
  pause: () => void
  resume: () => void
  clear: () => void
  reconnect: () => void
}

/** Whether retrying cannot help: the server refused us for good. */
function permanent(e: unknown): boolean {
  return e instanceof ApiError && [401, 403, 404].includes(e.status)
}

export function usePubSub(projectRef: string, connectionId: string | undefined): PubSub {
  const [status, setStatus] = useState<LiveStatus>('idle')
  const [retryIn, setRetryIn] = useState<number | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [channels, setChannels] = useState<string[]>([])
  const [patterns, setPatterns] = useState<string[]>([])
  const [items, setItems] = useState<LiveItem[]>([])
  const [counts, setCounts] = useState({ received: 0, missed: 0, sincePause: 0 })
  const [paused, setPaused] = useState(false)

  const socket = useRef<PubSubSocket | null>(null)
  const live = useRef(false)
  const wanted = useRef({ channels: new Set<string>(), patterns: new Set<string>() })
  const ring = useRef(new Ring<LiveItem>(KEEP))
  const tally = useRef({ seq: 0, received: 0, missed: 0, pausedAt: 0 })
  const pausedRef = useRef(false)
  const frame = useRef(0)
  const attempt = useRef(0)
  const timers = useRef<{ retry: number; tick: number }>({ retry: 0, tick: 0 })
  const mounted = useRef(true)

  /** Shows what arrived, once per frame; while paused only the counters move. */
  const schedule = useCallback(() => {
    if (frame.current) return
    frame.current = requestAnimationFrame(() => {
      frame.current = 0
      if (!mounted.current) return
      const t = tally.current
      setCounts({ received: t.received, missed: t.missed, sincePause: t.received - t.pausedAt })
      if (!pausedRef.current) setItems(ring.current.newestFirst())
    })
  }, [])

  const onMessage = useCallback(
    (m: PubSubServerMessage) => {
      const t = tally.current
      switch (m.type) {
        case 'message': {
          t.received++
          const data = typeof m.data === 'string' ? m.data : ''
          ring.current.push({
            kind: 'message',
            seq: ++t.seq,
            at: Date.now(),
            channel: m.channel,
            pattern: m.pattern,
            data: data.length > MAX_STORED ? data.slice(0, MAX_STORED) : data,
            length: data.length,
            base64: m.data_encoding === 'base64',
          })
          schedule()
          break
        }
        case 'missed':
          t.missed += m.count
          ring.current.push({ kind: 'missed', seq: ++t.seq, at: Date.now(), count: m.count })
          schedule()
          break
        case 'error':
          setError(new Error(`The server refused a subscription change: ${m.message}`))
          break
        default:
          // Confirmations of (un)subscriptions: the page already shows what was asked.
          break
      }
    },
    [schedule],
  )

  const stopTimers = () => {
    window.clearTimeout(timers.current.retry)
    window.clearInterval(timers.current.tick)
    timers.current = { retry: 0, tick: 0 }
  }

  const connect = useCallback(() => {
    stopTimers()
    socket.current?.close()
    live.current = false
    setStatus('connecting')
    setRetryIn(null)
    try {
      socket.current = openPubSub(projectRef, connectionId, {
        onOpen: () => {
          live.current = true
          attempt.current = 0
          setStatus('live')
          setError(null)
          // A new socket (first or reconnected) starts with no subscription: ask for all of them.
          const w = wanted.current
          if (w.channels.size > 0) socket.current?.send({ type: 'subscribe', channels: [...w.channels] })
          if (w.patterns.size > 0) socket.current?.send({ type: 'psubscribe', channels: [...w.patterns] })
        },
        onMessage,
        onClose: ({ opened }) => {
          socket.current = null
          live.current = false
          if (!mounted.current) return
          const retry = () => {
            const delay = Math.min(MAX_BACKOFF_S, 2 ** attempt.current)
            attempt.current++
            setStatus('retrying')
            setRetryIn(delay)
            let left = delay
            timers.current.tick = window.setInterval(() => setRetryIn(--left > 0 ? left : 0), 1000)
            timers.current.retry = window.setTimeout(() => connect(), delay * 1000)
          }
          if (opened) {
            retry()
            return
          }
          // A refused handshake says nothing about why: ask the REST API, whose errors are readable.
          redis.channels(projectRef, undefined, connectionId).then(
            () => {
              if (!mounted.current) return
              setError(new Error('The live connection could not be opened; retrying.'))
              retry()
            },
            (e: unknown) => {
              if (!mounted.current) return
              setError(e)
              if (permanent(e)) setStatus('idle')
              else retry()
            },
          )
        },
      })
    } catch (e) {
      setError(e)
      setStatus('idle')
    }
  }, [projectRef, connectionId, onMessage])

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
      stopTimers()
      if (frame.current) cancelAnimationFrame(frame.current)
      frame.current = 0
      socket.current?.close()
      socket.current = null
    }
  }, [])

  const subscribe = (name: string, pattern: boolean) => {
    const set = pattern ? wanted.current.patterns : wanted.current.channels
    if (name === '' || set.has(name)) return
    set.add(name)
    if (pattern) setPatterns([...set])
    else setChannels([...set])
    if (live.current) socket.current?.send({ type: pattern ? 'psubscribe' : 'subscribe', channels: [name] })
    else if (!socket.current) connect()
  }

  const unsubscribe = (name: string, pattern: boolean) => {
    const set = pattern ? wanted.current.patterns : wanted.current.channels
    if (!set.delete(name)) return
    if (pattern) setPatterns([...set])
    else setChannels([...set])
    if (live.current) socket.current?.send({ type: pattern ? 'punsubscribe' : 'unsubscribe', channels: [name] })
  }

  const pause = () => {
    pausedRef.current = true
    tally.current.pausedAt = tally.current.received
    setPaused(true)
    setCounts((c) => ({ ...c, sincePause: 0 }))
  }

  const resume = () => {
    pausedRef.current = false
    setPaused(false)
    schedule()
  }

  const clear = () => {
    ring.current.clear()
    tally.current = { seq: tally.current.seq, received: 0, missed: 0, pausedAt: 0 }
    setItems([])
    setCounts({ received: 0, missed: 0, sincePause: 0 })
  }

  return {
    status,
    retryIn,
    error,
    dismissError: () => setError(null),
    channels,
    patterns,
    items,
    received: counts.received,
    missed: counts.missed,
    paused,
    sincePause: counts.sincePause,
    subscribe,
    unsubscribe,
    pause,
    resume,
    clear,
    reconnect: connect,
  }
}
