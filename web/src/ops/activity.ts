// Pure helpers of the Activity page: row keys, blockers, durations.
import type { ActivityEntry } from '../api'

/** A session's key across the project: ids are only unique within one connection. */
export function entryKey(e: Pick<ActivityEntry, 'connection_id' | 'id'>): string {
  return `${e.connection_id}/${e.id}`
}

/** How many listed sessions each session blocks, by entry key. */
export function blockedCounts(entries: ActivityEntry[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const e of entries) {
    for (const blocker of e.blocked_by) {
      const key = entryKey({ connection_id: e.connection_id, id: blocker })
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
  return counts
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.floor(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** The DOM id of an entry's row, for blocked rows to link to their blocker. */
export function rowId(e: Pick<ActivityEntry, 'connection_id' | 'id'>): string {
  return `activity-${e.connection_id}-${e.id}`.replace(/[^A-Za-z0-9_-]/g, '_')
}
