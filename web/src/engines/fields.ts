// Checks and fields the engines' connection-form specs share. Only type imports, so every engine's
// `engine.ts` and the form's own code can use them without a cycle.
import type { Connection } from '../api'
import type { OptionField } from './types'

/** A message about the form to show next to it. */
export class FormError extends Error {}

/** `undefined` for an empty field (the server's default), the number, or an error. */
export function parsePort(raw: string, label = 'The port'): number | undefined {
  const t = raw.trim()
  if (t === '') return undefined
  const n = Number(t)
  if (!/^\d+$/.test(t) || n < 1 || n > 65535) throw new FormError(`${label} must be a whole number between 1 and 65535.`)
  return n
}

/** `undefined` for an empty field, else the whole number typed. */
export function wholeNumber(raw: string, label: string): number | undefined {
  const t = raw.trim()
  if (t === '') return undefined
  if (!/^\d+$/.test(t)) throw new FormError(`${label} must be a whole number.`)
  return Number(t)
}

/** Text of an option or value that may be a number. */
export function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : ''
}

/** The pool size, which the engines with a connection pool share. */
export const POOL_SIZE: OptionField = { name: 'pool_size', kind: 'number', label: 'Pool size', placeholder: '10', what: 'The pool size' }

/** The project page's summary of an engine whose connections name a database. */
export function databaseNameSummary(c: Connection): string | null {
  return c.database_name ? `/ ${c.database_name}` : null
}
