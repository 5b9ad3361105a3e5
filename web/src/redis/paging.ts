// Paging of Redis values: where the next page starts, and how a page joins the ones already shown.
import type { KeyValue, ValuePage } from '../api'

/**
 * Whether a key pattern names one key (no glob character): the browser then reads that key by name
 * instead of walking the whole keyspace with SCAN MATCH (a thousand pages on a million keys).
 */
export function isLiteralPattern(pattern: string): boolean {
  return pattern !== '' && !/[*?[\\]/.test(pattern)
}

/** Elements read per page of a collection. */
export const PAGE = 200

/** The request for the page after `v`, or null when everything has been read. */
export function nextPage(v: KeyValue): ValuePage | null {
  switch (v.type) {
    case 'string':
      return null
    case 'hash':
    case 'set':
      return v.cursor === '0' ? null : { cursor: v.cursor, count: PAGE }
    case 'zset':
      // A member search pages by ZSCAN cursor; a score range within the members in range.
      if (v.cursor !== undefined) return v.cursor === '0' ? null : { cursor: v.cursor, count: PAGE }
      return v.stop + 1 < (v.in_range ?? v.length) ? { start: v.stop + 1, stop: v.stop + PAGE, count: PAGE } : null
    case 'list':
      return v.stop + 1 < v.length ? { start: v.stop + 1, stop: v.stop + PAGE, count: PAGE } : null
    case 'stream':
      return v.next_start ? { stream_start: v.next_start, count: PAGE } : null
  }
}

/** How many elements of `v` are loaded. */
export function loadedCount(v: KeyValue): number {
  switch (v.type) {
    case 'string':
      return 1
    case 'hash':
      return Object.keys(v.fields).length
    case 'set':
      return v.members.length
    case 'list':
      return v.values.length
    case 'zset':
      return v.members.length
    case 'stream':
      return v.entries.length
  }
}

/** `shown` followed by `page` (a later page of the same key); the metadata comes from `page`. */
export function merge(shown: KeyValue, page: KeyValue): KeyValue {
  if (shown.type === 'hash' && page.type === 'hash') return { ...page, fields: { ...shown.fields, ...page.fields } }
  if (shown.type === 'set' && page.type === 'set') {
    const seen = new Set(shown.members)
    return { ...page, members: [...shown.members, ...page.members.filter((m) => !seen.has(m))] }
  }
  if (shown.type === 'list' && page.type === 'list') return { ...page, start: shown.start, values: [...shown.values, ...page.values] }
  if (shown.type === 'zset' && page.type === 'zset') return { ...page, start: shown.start, members: [...shown.members, ...page.members] }
  if (shown.type === 'stream' && page.type === 'stream') return { ...page, entries: [...shown.entries, ...page.entries] }
  // The key changed type under us: show what it is now.
  return page
}
