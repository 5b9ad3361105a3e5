// PostgreSQL in the console's engine registry: its connection form and its pages (./PostgresPages.tsx).
import { lazy } from 'react'
import { POOL_SIZE, databaseNameSummary } from '../engines/fields'
import type { EngineEntry } from '../engines/types'

/** PostgreSQL: `ssl` (with an extra CA), statement and lock timeouts. */
export const postgres: EngineEntry<'postgres'> = {
  name: 'postgres',
  label: 'PostgreSQL',
  defaultPort: 5432,
  connectionForm: {
    urlExample: 'postgres://user:password@host:5432/postgres',
    identifierPlaceholder: 'main-db',
    database: { label: 'Database', placeholder: 'postgres' },
    tlsOption: 'ssl',
    tlsLabel: 'Require SSL (verify the server certificate)',
    main: [],
    tls: [
      {
        name: 'ssl_root_cert',
        kind: 'textarea',
        label: 'Extra CA certificate',
        hint: '(PEM, for a private CA or a self-signed server)',
        placeholder: '-----BEGIN CERTIFICATE-----',
        when: (f) => f.tls,
      },
    ],
    timeouts: [
      { name: 'statement_timeout', kind: 'number', label: 'Statement timeout (ms)', placeholder: '30000', what: 'The statement timeout' },
      {
        name: 'lock_timeout',
        kind: 'number',
        label: 'Lock timeout of schema changes (ms)',
        placeholder: '5000',
        what: 'The lock timeout',
      },
      POOL_SIZE,
    ],
  },
  summary: databaseNameSummary,
  gateActions: ['Run query', 'Table Editor', 'New table'],
  Area: lazy(() => import('./PostgresPages')),
}
