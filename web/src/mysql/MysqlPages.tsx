// The MariaDB/MySQL pages under `/project/{ref}/databases/mysql`: the SQL editor, the Table Editor
// and the database's structure, each a chunk of its own.
import { lazy, type ComponentType } from 'react'
import { pickPage } from '../engines/routes'
import type { AreaProps } from '../engines/types'
import { NotFound } from '../pages/NotFound'

type Page = ComponentType<{ projectRef: string; connectionId?: string }>

/** The MySQL pages by their path segment ('' the SQL editor). */
export const MYSQL_PAGES: Record<string, Page> = {
  '': lazy(() => import('./SqlPage').then((m) => ({ default: m.MysqlSqlPage }))),
  tables: lazy(() => import('./TableEditorPage').then((m) => ({ default: m.MysqlTableEditorPage }))),
  structure: lazy(() => import('./StructurePage').then((m) => ({ default: m.StructurePage }))),
}

export default function MysqlArea({ projectRef, connectionId, rest, path }: AreaProps) {
  const Page = pickPage(MYSQL_PAGES, rest)
  if (!Page) return <NotFound path={path} />
  return <Page key={`${projectRef}/${connectionId ?? ''}`} projectRef={projectRef} connectionId={connectionId} />
}
