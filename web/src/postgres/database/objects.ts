// How the database pages show the catalog's listings: the fields worth a column for each kind of
// object (the ones present in the answer, in this order), every value as short text.

export const SECTIONS = ['indexes', 'extensions', 'roles', 'policies', 'triggers', 'functions', 'enums'] as const
export type Section = (typeof SECTIONS)[number]

export const SECTION_NAMES: Record<Section, string> = {
  indexes: 'Indexes',
  extensions: 'Extensions',
  roles: 'Roles',
  policies: 'Policies',
  triggers: 'Triggers',
  functions: 'Functions',
  enums: 'Enums',
}

/** The fields shown for the read-only listings, by preference. */
export const PREFERRED_FIELDS: Record<string, string[]> = {
  roles: ['name', 'is_superuser', 'can_login', 'can_create_db', 'can_create_role', 'inherit_role', 'is_replication_role', 'connection_limit', 'valid_until'],
  policies: ['schema', 'table', 'name', 'action', 'command', 'roles', 'definition', 'check'],
  triggers: ['schema', 'table', 'name', 'activation', 'events', 'orientation', 'function_schema', 'function_name', 'enabled_mode', 'condition'],
  functions: ['schema', 'name', 'argument_types', 'return_type', 'language', 'behavior', 'security_definer'],
  types: ['schema', 'name', 'enums', 'comment'],
}

/** The columns of a listing: the preferred fields the items have, else every field of the first item. */
export function fieldsOf(items: Record<string, unknown>[], preferred: string[] = []): string[] {
  const present = new Set(items.flatMap((i) => Object.keys(i)))
  const picked = preferred.filter((f) => present.has(f))
  if (picked.length > 0) return picked
  return [...present].filter((f) => f !== 'id')
}

/** A value as one line of text: lists joined, yes/no for flags, NULL as an empty cell. */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (Array.isArray(value)) return value.map(fieldText).join(', ')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Enum types only: the types listing holds every type, enums are those with labels. */
export function enumsOf(types: Record<string, unknown>[]): Record<string, unknown>[] {
  return types.filter((t) => Array.isArray(t.enums) && t.enums.length > 0)
}

/** Bytes as a person reads them. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return ''
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}
