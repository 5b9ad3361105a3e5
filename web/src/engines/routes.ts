// Which page a path opens. Pure, so the routes are tested without rendering (routes.test.ts); App.tsx
// renders the answer. Everything under `/project/{ref}/databases/{engine}` goes to that engine's
// area, which routes the rest itself (`pickPage`).
import { findEngine, type EngineName } from './registry'
import type { EngineEntry } from './types'

/** The project's team pages, one path segment each. */
export const TEAM_TABS = ['members', 'tokens', 'audit', 'settings'] as const
export type TeamTab = (typeof TEAM_TABS)[number]

export type Route =
  | { page: 'projects' }
  | { page: 'users' }
  | { page: 'project'; projectRef: string }
  | { page: 'activity'; projectRef: string }
  | { page: 'team'; projectRef: string; tab: TeamTab }
  | { page: 'engine'; projectRef: string; engine: EngineEntry<EngineName>; rest: string[] }
  /** `projectRef` when the path is under a project, for the frame's menu. */
  | { page: 'notFound'; projectRef?: string }

function isTeamTab(segment: string): segment is TeamTab {
  return (TEAM_TABS as readonly string[]).includes(segment)
}

/** The page of a path (without its query). */
export function matchRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts.length === 0) return { page: 'projects' }
  if (parts[0] === 'users' && parts.length === 1) return { page: 'users' }
  const [top, projectRef, section, ...rest] = parts
  if (top !== 'project' || !projectRef) return { page: 'notFound' }
  if (section === undefined) return { page: 'project', projectRef }
  if (rest.length === 0 && section === 'activity') return { page: 'activity', projectRef }
  if (rest.length === 0 && isTeamTab(section)) return { page: 'team', projectRef, tab: section }
  if (section === 'databases') {
    const [name, ...inside] = rest
    const engine = findEngine(name)
    if (engine) return { page: 'engine', projectRef, engine, rest: inside }
  }
  return { page: 'notFound', projectRef }
}

/**
 * An area's page for the segments after its engine's name: `pages['']` for none, `pages[segment]`
 * for one, nothing (not found) for an unknown segment or a deeper path.
 */
export function pickPage<T>(pages: Readonly<Record<string, T>>, rest: string[]): T | undefined {
  if (rest.length > 1) return undefined
  const name = rest[0] ?? ''
  return Object.hasOwn(pages, name) ? pages[name] : undefined
}
