// What the console knows about a database engine, in one place: the registry (registry.ts) lists
// one `EngineEntry` per engine, each written in the engine's own folder (`src/<engine>/engine.ts`).
import type { ComponentType, LazyExoticComponent } from 'react'
import type { Connection } from '../api'
import type { ConnectionForm } from '../connections/form'

/** What an engine's area gets: the page's address past `/project/{ref}/databases/{engine}`. */
export interface AreaProps {
  projectRef: string
  /** `?connection_id=`; none means the engine's primary connection. */
  connectionId: string | undefined
  /** The path segments after the engine's name (empty on its first page). */
  rest: string[]
  /** The whole path, for the not-found page. */
  path: string
}

/**
 * One engine-specific input of the connection form and the option it fills. `kind` says how the
 * text typed becomes the option: `text` and `textarea` trimmed, `number` a whole number, `flag` (a
 * checkbox) `true` when ticked, `tristate` (a select of '', 'true', 'false') a boolean or nothing;
 * a `select` fills nothing by itself (the engine's `readOptions`/`writeOptions` use it).
 */
export interface OptionField {
  /** The input's name and its key in the form's values. */
  name: string
  /** The option's key (the input's name unless said). */
  option?: string
  kind: 'text' | 'textarea' | 'number' | 'flag' | 'tristate' | 'select'
  label: string
  /** Small text after the label. */
  hint?: string
  placeholder?: string
  /** For `select` and `tristate`: value and label of each choice; the first is the default. */
  choices?: readonly (readonly [string, string])[]
  /** The label's class, for the layout. */
  className?: string
  title?: string
  /** How messages name a number ("The pool size"). */
  what?: string
  /** Shown only when this holds (its value is kept and sent either way). */
  when?: (form: ConnectionForm) => boolean
  /** Read and written by the engine's own hooks, not by its kind. */
  custom?: boolean
}

/** Inputs side by side (one `form-row`), or one on its own line. */
export type FieldGroup = OptionField | { row: OptionField[] }

/** The form's values of an engine's own fields, by input name. */
export type FieldValues = Record<string, string | boolean>

/** What the connection form shows and sends for an engine beyond host, port, user and password. */
export interface ConnectionFormSpec {
  /** The connection string the empty field shows, which names its scheme. */
  urlExample: string
  identifierPlaceholder: string
  /** The database-name field, when the engine has one. */
  database: { label: string; placeholder: string } | null
  usernameHint?: string
  /** The option the TLS checkbox sets (`tls` unless said) and its label. */
  tlsOption?: string
  /** Null: no TLS checkbox, the engine's `tls` fields say how it uses TLS (a mode to pick). */
  tlsLabel: string | null
  /** Fields between the password and the TLS checkbox. */
  main: FieldGroup[]
  /** Fields right after the TLS checkbox (or in its place). */
  tls: OptionField[]
  /** Fields under "Timeouts and pool", after the connect timeout. */
  timeouts: OptionField[]
  /** The values of the `custom` fields from saved options. */
  readOptions?: (options: Record<string, unknown>) => FieldValues
  /** Adds the options of the `custom` fields; throws a `FormError` on a bad value. */
  writeOptions?: (values: FieldValues, options: Record<string, unknown>) => void
}

/** One engine of the console. `N` is its name in URLs and in the API. */
export interface EngineEntry<N extends string = string> {
  name: N
  /** Display name ("PostgreSQL"). */
  label: string
  defaultPort: number
  connectionForm: ConnectionFormSpec
  /** Which database of its server a connection opens (the project page's address column), if any. */
  summary: (c: Connection) => string | null
  /** The actions its pages offer, shown disabled while the connection is down. */
  gateActions: string[]
  /** Its pages, loaded the first time one opens; routes `rest` itself. */
  Area: LazyExoticComponent<ComponentType<AreaProps>>
}
