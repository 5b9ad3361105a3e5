// Ways to show a string value: as it is (the raw text, always available), pretty JSON, hex, or
// base64. A formatter that does not apply says why instead of guessing.

export type Formatter = 'raw' | 'json' | 'hex' | 'base64'

export const FORMATTERS: { id: Formatter; label: string }[] = [
  { id: 'raw', label: 'Raw text' },
  { id: 'json', label: 'JSON' },
  { id: 'hex', label: 'Hex' },
  { id: 'base64', label: 'Base64' },
]

/** The bytes of a value the server sent as UTF-8 text or as base64. */
export function toBytes(value: string, encoding: 'utf8' | 'base64'): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(value)
  const binary = atob(value)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = []
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16)
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`)
  }
  return lines.join('\n')
}

function base64Of(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** Whether a value looks like JSON worth pretty-printing (an object or an array). */
export function looksLikeJson(value: string): boolean {
  const t = value.trim()
  if (!(t.startsWith('{') || t.startsWith('['))) return false
  try {
    JSON.parse(t)
    return true
  } catch {
    return false
  }
}

/** The value shown with `formatter`: `{text}`, or `{error}` when it does not apply. */
export function format(value: string, encoding: 'utf8' | 'base64', formatter: Formatter): { text: string } | { error: string } {
  switch (formatter) {
    case 'raw':
      return { text: value }
    case 'json':
      if (encoding !== 'utf8') return { error: 'A binary value is not JSON.' }
      try {
        return { text: JSON.stringify(JSON.parse(value), null, 2) }
      } catch (e) {
        return { error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` }
      }
    case 'hex':
      return { text: hexDump(toBytes(value, encoding)) }
    case 'base64':
      return { text: encoding === 'base64' ? value : base64Of(toBytes(value, encoding)) }
  }
}
