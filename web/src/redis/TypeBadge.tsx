// A Redis type as a coloured badge.
import type { KeySummary } from '../api'

const LABELS: Record<KeySummary['type'], string> = {
  string: 'STRING',
  hash: 'HASH',
  list: 'LIST',
  set: 'SET',
  zset: 'ZSET',
  stream: 'STREAM',
  none: 'GONE',
}

export function TypeBadge({ type }: { type: KeySummary['type'] }) {
  return <span className={`badge type type-${type}`}>{LABELS[type] ?? type}</span>
}
