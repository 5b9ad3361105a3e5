// The command line's pure parts: splitting a typed line into arguments the way redis-cli does, and
// the history kept per user and connection in localStorage.

/**
 * Splits a line into arguments: spaces separate, "double quotes" allow \n, \t, \", \\ and \xHH
 * escapes, 'single quotes' take everything literally but \'. Throws on an unclosed quote.
 */
export function splitArgs(line: string): string[] {
  const args: string[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && /\s/.test(line.charAt(i))) i++
    if (i >= line.length) break
    let arg = ''
    let quoted = false
    while (i < line.length && !/\s/.test(line.charAt(i))) {
      const c = line.charAt(i)
      if (c === '"' || c === "'") {
        quoted = true
        const quote = c
        i++
        let closed = false
        while (i < line.length) {
          const d = line.charAt(i)
          if (d === '\\' && i + 1 < line.length) {
            const e = line.charAt(i + 1)
            if (quote === "'") {
              arg += e === "'" ? "'" : `\\${e}`
              i += 2
              continue
            }
            if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
              arg += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16))
              i += 4
              continue
            }
            arg += ({ n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' } as Record<string, string>)[e] ?? e
            i += 2
            continue
          }
          if (d === quote) {
            closed = true
            i++
            break
          }
          arg += d
          i++
        }
        if (!closed) throw new Error(`Unbalanced ${quote === '"' ? 'double' : 'single'} quotes.`)
      } else {
        arg += c
        i++
      }
    }
    if (arg !== '' || quoted) args.push(arg)
  }
  return args
}

/** Lines kept in one history. */
export const HISTORY_LIMIT = 200

/** The localStorage key of the history of one user on one connection. */
export function historyKey(userId: string, projectRef: string, connectionId: string | undefined): string {
  return `switchboard.redis.cli.${userId}.${projectRef}.${connectionId ?? 'primary'}`
}

/** The saved history, oldest first; an unreadable entry is an empty history. */
export function loadHistory(storage: Pick<Storage, 'getItem'>, key: string): string[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(key) ?? '[]')
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string').slice(-HISTORY_LIMIT) : []
  } catch {
    return []
  }
}

/** `history` with `line` appended (a repeat of the last line is not added twice), capped. */
export function remember(history: string[], line: string): string[] {
  if (history[history.length - 1] === line) return history
  return [...history, line].slice(-HISTORY_LIMIT)
}

/**
 * Moves through the history with the arrow keys: `position` is an index into `history`, or
 * `history.length` for the line being typed. Answers the new position.
 */
export function step(history: string[], position: number, direction: 'up' | 'down'): number {
  if (direction === 'up') return Math.max(0, position - 1)
  return Math.min(history.length, position + 1)
}
