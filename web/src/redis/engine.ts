// Redis in the console's engine registry: its connection form and its pages (./RedisPages.tsx).
import { lazy } from 'react'
import { FormError, parsePort, text } from '../engines/fields'
import type { EngineEntry, FieldValues } from '../engines/types'

const sentinelMode = (f: { values: FieldValues }) => f.values.topology === 'sentinel'

function parseSentinels(raw: string): { host: string; port: number }[] {
  const items = raw.split(/[\s,]+/).filter(Boolean)
  if (items.length === 0) throw new FormError('List at least one sentinel as host:port.')
  return items.map((item) => {
    const at = item.lastIndexOf(':')
    const host = at > 0 ? item.slice(0, at).replace(/^\[|\]$/g, '') : ''
    if (!host) throw new FormError(`Write each sentinel as host:port (got "${item}").`)
    const port = parsePort(item.slice(at + 1), `The port of sentinel ${host}`)
    if (port === undefined) throw new FormError(`Write each sentinel as host:port (got "${item}").`)
    return { host, port }
  })
}

/** Redis: a db number instead of a database name; standalone, cluster or sentinel. */
export const redis: EngineEntry<'redis'> = {
  name: 'redis',
  label: 'Redis',
  defaultPort: 6379,
  connectionForm: {
    urlExample: 'redis://user:password@host:6379/0',
    identifierPlaceholder: 'cache',
    database: null,
    usernameHint: '(Redis 6 ACL user; empty for the default user)',
    tlsLabel: 'Use TLS',
    main: [
      {
        row: [
          { name: 'db', kind: 'number', label: 'Database number', placeholder: '0', className: 'port', what: 'The database number' },
          {
            name: 'topology',
            kind: 'select',
            label: 'Mode',
            className: 'grow',
            custom: true,
            choices: [
              ['standalone', 'Standalone'],
              ['cluster', 'Cluster'],
              ['sentinel', 'Sentinel'],
            ],
          },
        ],
      },
      { name: 'sentinel_master', kind: 'text', label: 'Master name', placeholder: 'mymaster', custom: true, when: sentinelMode },
      {
        name: 'sentinels',
        kind: 'text',
        label: 'Sentinels',
        hint: '(host:port, separated by commas)',
        placeholder: '10.0.0.1:26379, 10.0.0.2:26379',
        custom: true,
        when: sentinelMode,
      },
    ],
    tls: [],
    timeouts: [
      { name: 'command_timeout_ms', kind: 'number', label: 'Command timeout (ms)', what: 'The command timeout' },
      {
        name: 'allow_server_commands',
        kind: 'flag',
        label: 'Let admins run server commands (SHUTDOWN, CONFIG SET, FLUSHALL…) on the command line',
        className: 'inline',
        title: 'SHUTDOWN, CONFIG SET, FLUSHALL, DEBUG… stay refused on the command line unless this is set',
      },
    ],
    readOptions: (o) => {
      const sentinel = o.sentinel as { master?: unknown; sentinels?: { host?: unknown; port?: unknown }[] } | undefined
      return {
        topology: o.cluster === true ? 'cluster' : sentinel ? 'sentinel' : 'standalone',
        sentinel_master: text(sentinel?.master),
        sentinels: Array.isArray(sentinel?.sentinels) ? sentinel.sentinels.map((s) => `${text(s.host)}:${text(s.port)}`).join(', ') : '',
      }
    },
    writeOptions: (values, o) => {
      if (values.topology === 'cluster') o.cluster = true
      if (values.topology === 'sentinel') {
        const master = text(values.sentinel_master).trim()
        if (!master) throw new FormError("Name the sentinels' master (for example mymaster).")
        o.sentinel = { master, sentinels: parseSentinels(text(values.sentinels)) }
      }
    },
  },
  summary: (c) => {
    const db = c.options.db
    return `db ${typeof db === 'number' || typeof db === 'string' ? db : 0}`
  },
  gateActions: ['New key', 'Scan keys', 'Command line'],
  Area: lazy(() => import('./RedisPages')),
}
