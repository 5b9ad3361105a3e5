// MariaDB/MySQL in the console's engine registry: its connection form and its pages (./MysqlPages.tsx).
import { lazy } from 'react'
import { FormError, POOL_SIZE, databaseNameSummary, text } from '../engines/fields'
import type { EngineEntry, FieldValues } from '../engines/types'

/** The server's TLS modes (`ssl_mode`); `disable` is its default and is not sent. */
export const SSL_MODES = ['disable', 'require', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

function isSslMode(value: unknown): value is SslMode {
  return (SSL_MODES as readonly unknown[]).includes(value)
}

/** The form's TLS fields from saved options. */
export function readMysqlOptions(o: Record<string, unknown>): FieldValues {
  return { ssl_mode: isSslMode(o.ssl_mode) ? o.ssl_mode : 'disable', ssl_root_cert: text(o.ssl_root_cert) }
}

/** Adds `ssl_mode` (unless `disable`) and `ssl_root_cert` (only with `verify-full`, which it needs). */
export function writeMysqlOptions(values: FieldValues, o: Record<string, unknown>): void {
  const mode = values.ssl_mode ?? 'disable'
  if (!isSslMode(mode)) throw new FormError('Pick a TLS mode: off, encrypted, or encrypted with the certificate checked.')
  if (mode !== 'disable') o.ssl_mode = mode
  const cert = text(values.ssl_root_cert).trim()
  // Kept in the form while another mode is picked, but the server takes a CA with verify-full only.
  if (cert && mode === 'verify-full') o.ssl_root_cert = cert
}

/** MariaDB/MySQL: a TLS mode to pick (no checkbox), a CA for verify-full, statement timeout and pool. */
export const mysql: EngineEntry<'mysql'> = {
  name: 'mysql',
  label: 'MariaDB / MySQL',
  defaultPort: 3306,
  connectionForm: {
    urlExample: 'mysql://user:password@host:3306/app',
    identifierPlaceholder: 'app-db',
    database: { label: 'Database', placeholder: 'app' },
    tlsLabel: null,
    main: [],
    tls: [
      {
        name: 'ssl_mode',
        kind: 'select',
        label: 'TLS',
        custom: true,
        choices: [
          ['disable', 'Off (plain TCP)'],
          ['require', "Encrypted, the server's certificate not checked"],
          ['verify-full', 'Encrypted, the certificate and host name checked'],
        ],
      },
      {
        name: 'ssl_root_cert',
        kind: 'textarea',
        label: 'Extra CA certificate',
        hint: '(PEM, for a private CA or a self-signed server)',
        placeholder: '-----BEGIN CERTIFICATE-----',
        custom: true,
        when: (f) => f.values.ssl_mode === 'verify-full',
      },
    ],
    timeouts: [
      { name: 'statement_timeout', kind: 'number', label: 'Statement timeout (ms)', placeholder: '30000', what: 'The statement timeout' },
      POOL_SIZE,
    ],
    readOptions: readMysqlOptions,
    writeOptions: writeMysqlOptions,
  },
  summary: databaseNameSummary,
  gateActions: ['Run query', 'Table Editor'],
  Area: lazy(() => import('./MysqlPages')),
}
