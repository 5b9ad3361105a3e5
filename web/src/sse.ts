// Server-sent events, parsed by hand: `EventSource` cannot send an Authorization header, so api.ts
// reads event streams with fetch() and hands the text here, a chunk at a time.

export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  event: string
  /** The `data:` lines, joined with newlines. */
  data: string
}

/**
 * The complete events at the start of `buffer`, and the unfinished text after them (to prepend to
 * the next chunk). Comment lines (`:` keep-alives) and events without data are skipped, as
 * EventSource does.
 */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const text = buffer.replace(/\r\n/g, '\n')
  const blocks = text.split('\n\n')
  const rest = blocks.pop() ?? ''
  const events: SseEvent[] = []
  for (const block of blocks) {
    let event = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      let value = colon === -1 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') })
  }
  return { events, rest }
}
