// How numbers from the API read for a person.

/** `-1` (no expiry) reads "no limit"; seconds read as the two largest units. */
export function formatTtl(seconds: number): string {
  if (seconds === -1) return 'no limit'
  if (seconds < 0) return 'expired'
  const units: [string, number][] = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  let rest = seconds
  for (const [name, size] of units) {
    if (rest >= size || (parts.length === 0 && size === 1)) {
      parts.push(`${Math.floor(rest / size)}${name}`)
      rest %= size
    }
    if (parts.length === 2) break
  }
  return parts.join(' ')
}

/** Bytes with a binary unit: `512 B`, `1.5 KiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—'
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`
}

/** Thousands separated: `1,000,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
