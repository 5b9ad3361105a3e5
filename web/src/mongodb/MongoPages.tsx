// The MongoDB page under `/project/{ref}/databases/mongodb`: one page (its database, collection and
// tab are in the query), fetched with this area the first time it opens.
import type { ComponentType } from 'react'
import type { AreaProps } from '../engines/types'
import { pickPage } from '../engines/routes'
import { NotFound } from '../pages/NotFound'
import { MongoPage } from './MongoPage'

/** The MongoDB pages by their path segment: only its first. */
export const MONGO_PAGES: Record<string, ComponentType<{ projectRef: string; connectionId?: string }>> = { '': MongoPage }

export default function MongoArea({ projectRef, connectionId, rest, path }: AreaProps) {
  const Page = pickPage(MONGO_PAGES, rest)
  if (!Page) return <NotFound path={path} />
  return <Page key={`${projectRef}/${connectionId ?? ''}`} projectRef={projectRef} connectionId={connectionId} />
}
