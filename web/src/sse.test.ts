import { describe, expect, it } from 'vitest'
import { parseSse } from './sse'

describe('parseSse', () => {
  it('splits complete events from the unfinished rest', () => {
    const { events, rest } = parseSse('event: sample\ndata: {"a":1}\n\nevent: sample\ndata: {"a"')
    expect(events).toEqual([{ event: 'sample', data: '{"a":1}' }])
    expect(rest).toBe('event: sample\ndata: {"a"')
    const next = parseSse(rest + ':2}\n\n')
    expect(next.events).toEqual([{ event: 'sample', data: '{"a":2}' }])
    expect(next.rest).toBe('')
  })

  it('skips keep-alive comments, joins data lines and reads CRLF', () => {
    const { events } = parseSse(':\n\ndata: one\r\ndata: two\r\n\r\nevent: error\ndata:no space\n\n')
    expect(events).toEqual([
      { event: 'message', data: 'one\ntwo' },
      { event: 'error', data: 'no space' },
    ])
  })
})
