// The Redis pages under `/project/{ref}/databases/redis`: the key browser, and one tab per segment
// after it. They are one chunk, fetched the first time a Redis page opens (the registry's `lazy`).
import type { ComponentType } from 'react'
import type { AreaProps } from '../engines/types'
import { pickPage } from '../engines/routes'
import { NotFound } from '../pages/NotFound'
import { CommandLinePage } from './CommandLinePage'
import { AnalysisPage, ClientsPage, SlowlogPage } from './OpsPages'
import { PubSubPage } from './PubSubPage'
import { RedisBrowser } from './RedisBrowser'
import { ServerPage } from './ServerPage'

type Page = ComponentType<{ projectRef: string; connectionId?: string }>

/** The Redis pages by their path segment ('' the key browser). */
export const REDIS_PAGES: Record<string, Page> = {
  '': RedisBrowser,
  pubsub: PubSubPage,
  server: ServerPage,
  cli: CommandLinePage,
  slowlog: SlowlogPage,
  clients: ClientsPage,
  analysis: AnalysisPage,
}

export default function RedisArea({ projectRef, connectionId, rest, path }: AreaProps) {
  const Page = pickPage(REDIS_PAGES, rest)
  if (!Page) return <NotFound path={path} />
  return <Page key={`${projectRef}/${connectionId ?? ''}`} projectRef={projectRef} connectionId={connectionId} />
}
