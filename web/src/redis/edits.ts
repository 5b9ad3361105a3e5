// Bodies of `PATCH /keys/{key}` for one element at a time, and how an answered edit joins the
// elements already shown (so an edit in a big, partly loaded collection does not throw the loaded
// pages away).
import type { EditedKey, Encoding, KeyEdit, KeyValue } from '../api'

/** The body's encoding: binary collections are shown (and so edited) as base64. */
function encoded(edit: KeyEdit, encoding: Encoding): KeyEdit {
  return encoding === 'base64' ? { ...edit, value_encoding: 'base64' } : edit
}

export function hashSet(field: string, value: string, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ set: { [field]: value } }, encoding)
}

export function hashRemove(field: string, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ remove: [field] }, encoding)
}

export function listSet(index: number, value: string, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ set_index: { index, value } }, encoding)
}

export function listPush(value: string, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ add: [value] }, encoding)
}

/**
 * Removes the element at `index` only. The API removes list elements by value (LREM, every
 * occurrence), so the element is first overwritten with a unique tombstone (LSET) and the tombstone
 * removed, both in the same MULTI/EXEC: equal values elsewhere in the list stay.
 */
export function listRemoveAt(index: number, tombstone: string, encoding: Encoding = 'utf8'): KeyEdit {
  const value = encoding === 'base64' ? btoa(tombstone) : tombstone
  return encoded({ set_index: { index, value }, remove: [value] }, encoding)
}

/** A tombstone no real element will equal. */
export function newTombstone(): string {
  const random =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID()
      : `${Date.now()}-${Math.random().toString(36).slice(2)}`
  return `\u0000switchboard-deleted:${random}`
}

export function setAdd(member: string, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ add: [member] }, encoding)
}

export function setRemove(member: string, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ remove: [member] }, encoding)
}

/** Renames a set member: SADD the new one and SREM the old one, atomically; null when nothing changes. */
export function setReplace(from: string, to: string, encoding: Encoding = 'utf8'): KeyEdit | null {
  // SADD runs before SREM: with from === to the member would be removed.
  return from === to ? null : encoded({ add: [to], remove: [from] }, encoding)
}

/** A score as typed, or an error message. */
export function parseScore(text: string): number | string {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n)) return 'A score is a number, e.g. 42 or -1.5.'
  return n
}

export function zsetAdd(member: string, score: number, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ add: [{ member, score }] }, encoding)
}

export function zsetRemove(member: string, encoding: Encoding = 'utf8'): KeyEdit {
  return encoded({ remove: [member] }, encoding)
}

export function streamRemove(id: string): KeyEdit {
  return { remove: [id] }
}

/** Field/value rows of a form as an object, or an error message (a stream entry needs one field). */
export function fieldMap(rows: { field: string; value: string }[]): Record<string, string> | string {
  const out: Record<string, string> = {}
  for (const row of rows) {
    if (row.field === '' && row.value === '') continue
    if (row.field === '') return 'Every value needs a field name.'
    if (row.field in out) return `The field ${row.field} is given twice.`
    out[row.field] = row.value
  }
  return Object.keys(out).length === 0 ? 'Give at least one field.' : out
}

/** Whether the answer says the edit removed the last element, and with it the key. */
export function wasDeleted(answer: EditedKey): answer is { deleted: true } {
  return 'deleted' in answer && answer.deleted === true
}

/**
 * The value to show after `edit` of a hash or set: the elements already loaded with the edit
 * applied, and the metadata (length, TTL, memory) of the server's answer. Null for other types,
 * whose shown elements are read again instead (indexes and score order move under an edit).
 */
export function applyLocally(shown: KeyValue, edit: KeyEdit, answer: KeyValue): KeyValue | null {
  const meta = {
    ttl: answer.ttl,
    size: answer.size,
    length: answer.length,
    encoding: answer.encoding,
  }
  if (shown.type === 'hash' && answer.type === 'hash') {
    const fields = { ...shown.fields, ...(edit.set ?? {}) }
    for (const f of edit.remove ?? []) delete fields[f]
    return { ...shown, ...meta, fields }
  }
  if (shown.type === 'set' && answer.type === 'set') {
    const removed = new Set(edit.remove ?? [])
    const members = shown.members.filter((m) => !removed.has(m))
    const present = new Set(members)
    for (const a of edit.add ?? []) {
      if (typeof a === 'string' && !present.has(a)) {
        members.push(a)
        present.add(a)
      }
    }
    return { ...shown, ...meta, members }
  }
  return null
}
