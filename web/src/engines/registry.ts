// The console's database engines. Adding one takes its folder (`src/<engine>/`, with an
// `engine.ts` exporting its `EngineEntry` and the area component that routes its pages) and one line
// here; the routes, the project page and the connection form read this list and name no engine.
import { mongodb } from '../mongodb/engine'
import { mysql } from '../mysql/engine'
import { postgres } from '../postgres/engine'
import { redis } from '../redis/engine'
import type { EngineEntry } from './types'

/** Every engine, in the order the connection form offers them (the first is its default). */
export const ENGINES = [redis, mongodb, postgres, mysql] as const

/** An engine's name in URLs and in the API (`redis`, …); `Engine` in api.ts is this type. */
export type EngineName = (typeof ENGINES)[number]['name']

const BY_NAME = new Map<string, EngineEntry<EngineName>>(ENGINES.map((e) => [e.name, e]))

/** The engine called `name` in a URL or an answer, if the console has it. */
export function findEngine(name: string | undefined): EngineEntry<EngineName> | undefined {
  return name === undefined ? undefined : BY_NAME.get(name)
}

/** The engine of a known name. */
export function engineOf(name: EngineName): EngineEntry<EngineName> {
  // Every EngineName is the name of an entry, so the fallback is never reached.
  return BY_NAME.get(name) ?? ENGINES[0]
}

/** The display name of an engine the server names, or the name itself when the console lacks it. */
export function engineLabel(name: string): string {
  return findEngine(name)?.label ?? name
}
