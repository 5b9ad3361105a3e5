// MongoDB in the console's engine registry: its connection form and its pages (./MongoPages.tsx).
import { lazy } from 'react'
import { POOL_SIZE, databaseNameSummary } from '../engines/fields'
import type { EngineEntry } from '../engines/types'

/** MongoDB: replica set, auth database and direct connection beside the address. */
export const mongodb: EngineEntry<'mongodb'> = {
  name: 'mongodb',
  label: 'MongoDB',
  defaultPort: 27017,
  connectionForm: {
    urlExample: 'mongodb://user:password@host:27017/app',
    identifierPlaceholder: 'documents',
    database: { label: 'Default database', placeholder: 'app' },
    tlsLabel: 'Use TLS',
    main: [
      {
        row: [
          { name: 'replica_set', kind: 'text', label: 'Replica set', placeholder: 'rs0', className: 'grow' },
          { name: 'auth_source', kind: 'text', label: 'Auth database', placeholder: 'admin', className: 'grow' },
          {
            name: 'direct_connection',
            kind: 'tristate',
            label: 'Direct connection',
            className: 'grow',
            choices: [
              ['', 'Automatic'],
              ['true', 'Yes'],
              ['false', 'No'],
            ],
          },
        ],
      },
    ],
    tls: [],
    timeouts: [
      { name: 'server_selection_timeout', kind: 'number', label: 'Server selection timeout (ms)', what: 'The server selection timeout' },
      POOL_SIZE,
    ],
  },
  summary: databaseNameSummary,
  gateActions: ['Create database', 'Find documents', 'Aggregate'],
  Area: lazy(() => import('./MongoPages')),
}
