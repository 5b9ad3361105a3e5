// The PostgreSQL pages under `/project/{ref}/databases/postgres`: the SQL editor, and one tab per
// segment after it. Each page is a chunk of its own, so the SQL editor does not wait for the Table
// Editor or the database's pages, nor they for it; this area itself is small.
import { lazy, type ComponentType } from 'react'
import type { AreaProps } from '../engines/types'
import { pickPage } from '../engines/routes'
import { NotFound } from '../pages/NotFound'

type Page = ComponentType<{ projectRef: string; connectionId?: string }>

/** The PostgreSQL pages by their path segment ('' the SQL editor). */
export const POSTGRES_PAGES: Record<string, Page> = {
  '': lazy(() => import('./PostgresPage').then((m) => ({ default: m.PostgresPage }))),
  tables: lazy(() => import('./editor/TableEditorPage').then((m) => ({ default: m.TableEditorPage }))),
  database: lazy(() => import('./database/DatabasePage').then((m) => ({ default: m.DatabasePage }))),
  performance: lazy(() => import('./PerformancePage').then((m) => ({ default: m.PerformancePage }))),
  types: lazy(() => import('./database/TypesPage').then((m) => ({ default: m.TypesPage }))),
}

export default function PostgresArea({ projectRef, connectionId, rest, path }: AreaProps) {
  const Page = pickPage(POSTGRES_PAGES, rest)
  if (!Page) return <NotFound path={path} />
  return <Page key={`${projectRef}/${connectionId ?? ''}`} projectRef={projectRef} connectionId={connectionId} />
}
