// The elements of a hash, list, set, sorted set or stream, each row with its own Edit and Delete
// (Delete asks to confirm), and an "Add" form under the table. Every change is one PATCH of the
// elements concerned (see edits.ts); a stream entry is added with PUT, which appends to a stream.
import { useState, type FormEvent, type ReactNode } from 'react'
import type { KeyEdit, KeyValue } from '../api'
import { ConfirmDelete } from '../components/ConfirmAction'
import { WriteButton } from '../components/WriteButton'
import {
  fieldMap,
  hashRemove,
  hashSet,
  listPush,
  listRemoveAt,
  listSet,
  newTombstone,
  parseScore,
  setAdd,
  setRemove,
  setReplace,
  streamRemove,
  zsetAdd,
  zsetRemove,
} from './edits'

/** Characters of an element shown in its cell: a multi-megabyte value would freeze the page. */
const CLIP = 2000

type Of<T extends KeyValue['type']> = Extract<KeyValue, { type: T }>

interface EditorProps<T extends KeyValue['type']> {
  v: Of<T>
  writable: boolean
  /** Sends an edit; resolves false when it failed (the viewer shows why). */
  apply: (edit: KeyEdit) => Promise<boolean>
  /** Reports a mistake in a form before anything is sent. */
  invalid: (message: string) => void
}

/** Long text cut to its first characters, with how much is left out. */
export function Clip({ text }: { text: string }) {
  if (text.length <= CLIP) return <>{text}</>
  return (
    <>
      {text.slice(0, CLIP)}
      <span className="muted"> … {(text.length - CLIP).toLocaleString('en-US')} more characters</span>
    </>
  )
}

/** Runs `action` with a busy flag, for Save/Confirm buttons that must not be clicked twice. */
function useBusy(): [boolean, (action: () => Promise<unknown>) => Promise<void>] {
  const [busy, setBusy] = useState(false)
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true)
    try {
      await action()
    } finally {
      setBusy(false)
    }
  }
  return [busy, run]
}

/** Edit and Delete of one row; Delete turns into Confirm/Cancel. */
function RowActions({
  writable,
  onEdit,
  onDelete,
}: {
  writable: boolean
  onEdit?: () => void
  onDelete: () => Promise<unknown>
}) {
  return (
    <td className="actions">
      {onEdit && (
        <WriteButton allowed={writable} onClick={onEdit}>
          Edit
        </WriteButton>
      )}
      <ConfirmDelete writable={writable} onDelete={onDelete} />
    </td>
  )
}

/** A textarea (or input) with Save and Cancel, in place of a cell. */
function InlineEditor({
  initial,
  multiline = true,
  label,
  onSave,
  onCancel,
}: {
  initial: string
  multiline?: boolean
  label: string
  onSave: (text: string) => Promise<boolean>
  onCancel: () => void
}) {
  const [text, setText] = useState(initial)
  const [busy, run] = useBusy()
  const save = (event?: FormEvent) => {
    event?.preventDefault()
    void run(async () => {
      if (await onSave(text)) onCancel()
    })
  }
  return (
    <form className="inline-editor" onSubmit={save} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      {multiline ? (
        <textarea
          name="element-value"
          aria-label={label}
          value={text}
          rows={Math.min(8, Math.max(2, text.split('\n').length))}
          autoFocus
          onChange={(e) => setText(e.target.value)}
        />
      ) : (
        <input name="element-value" aria-label={label} value={text} autoFocus onChange={(e) => setText(e.target.value)} />
      )}
      <div className="buttons">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  )
}

/** "Add …": a button that opens a small form under the table. */
function AddForm({
  writable,
  label,
  children,
  onSubmit,
  reset,
}: {
  writable: boolean
  label: string
  children: ReactNode
  /** Sends the form; resolves true when it worked (the form then closes). */
  onSubmit: () => Promise<boolean>
  reset: () => void
}) {
  const [open, setOpen] = useState(false)
  const [busy, run] = useBusy()
  if (!open) {
    return (
      <WriteButton allowed={writable} onClick={() => setOpen(true)}>
        {label}
      </WriteButton>
    )
  }
  const close = () => {
    reset()
    setOpen(false)
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void run(async () => {
      if (await onSubmit()) close()
    })
  }
  return (
    <form className="add-element card" onSubmit={submit} aria-label={label} onKeyDown={(e) => e.key === 'Escape' && close()}>
      {children}
      <div className="buttons">
        <button type="button" onClick={close}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add'}
        </button>
      </div>
    </form>
  )
}

export function HashEditor({ v, writable, apply }: EditorProps<'hash'>) {
  const [editing, setEditing] = useState<string | null>(null)
  const [field, setField] = useState('')
  const [value, setValue] = useState('')
  const enc = v.value_encoding
  return (
    <>
      <table className="grid compact elements">
        <thead>
          <tr>
            <th>Field</th>
            <th>Value</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {Object.entries(v.fields).map(([f, val]) => (
            <tr key={f} data-field={f}>
              <td className="mono">
                <Clip text={f} />
              </td>
              <td className="mono">
                {editing === f ? (
                  <InlineEditor
                    initial={val}
                    label={`Value of ${f}`}
                    onSave={(text) => apply(hashSet(f, text, enc))}
                    onCancel={() => setEditing(null)}
                  />
                ) : (
                  <Clip text={val} />
                )}
              </td>
              <RowActions writable={writable} onEdit={() => setEditing(f)} onDelete={() => apply(hashRemove(f, enc))} />
            </tr>
          ))}
        </tbody>
      </table>
      <AddForm
        writable={writable}
        label="Add field"
        reset={() => {
          setField('')
          setValue('')
        }}
        onSubmit={() => apply(hashSet(field, value, enc))}
      >
        <label>
          Field <span className="muted">(an existing field is replaced)</span>
          <input name="new-field" value={field} onChange={(e) => setField(e.target.value)} autoFocus />
        </label>
        <label>
          Value
          <textarea name="new-value" rows={2} value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
      </AddForm>
    </>
  )
}

export function ListEditor({ v, writable, apply }: EditorProps<'list'>) {
  const [editing, setEditing] = useState<number | null>(null)
  const [value, setValue] = useState('')
  const enc = v.value_encoding
  return (
    <>
      <table className="grid compact elements">
        <thead>
          <tr>
            <th>Index</th>
            <th>Value</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {v.values.map((val, i) => {
            const index = v.start + i
            return (
              <tr key={index} data-index={index}>
                <td className="muted">{index}</td>
                <td className="mono">
                  {editing === index ? (
                    <InlineEditor
                      initial={val}
                      label={`Value at ${index}`}
                      onSave={(text) => apply(listSet(index, text, enc))}
                      onCancel={() => setEditing(null)}
                    />
                  ) : (
                    <Clip text={val} />
                  )}
                </td>
                <RowActions
                  writable={writable}
                  onEdit={() => setEditing(index)}
                  onDelete={() => apply(listRemoveAt(index, newTombstone(), enc))}
                />
              </tr>
            )
          })}
        </tbody>
      </table>
      <AddForm writable={writable} label="Push value" reset={() => setValue('')} onSubmit={() => apply(listPush(value, enc))}>
        <label>
          Value <span className="muted">(appended at the tail, RPUSH)</span>
          <textarea name="new-value" rows={2} value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        </label>
      </AddForm>
    </>
  )
}

export function SetEditor({ v, writable, apply }: EditorProps<'set'>) {
  const [editing, setEditing] = useState<string | null>(null)
  const [member, setMember] = useState('')
  const enc = v.value_encoding
  return (
    <>
      <table className="grid compact elements">
        <thead>
          <tr>
            <th>Member</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {v.members.map((m) => (
            <tr key={m} data-member={m}>
              <td className="mono">
                {editing === m ? (
                  <InlineEditor
                    initial={m}
                    label={`Rename ${m}`}
                    onSave={(text) => {
                      const edit = setReplace(m, text, enc)
                      return edit ? apply(edit) : Promise.resolve(true)
                    }}
                    onCancel={() => setEditing(null)}
                  />
                ) : (
                  <Clip text={m} />
                )}
              </td>
              <RowActions writable={writable} onEdit={() => setEditing(m)} onDelete={() => apply(setRemove(m, enc))} />
            </tr>
          ))}
        </tbody>
      </table>
      <AddForm writable={writable} label="Add member" reset={() => setMember('')} onSubmit={() => apply(setAdd(member, enc))}>
        <label>
          Member
          <input name="new-member" value={member} onChange={(e) => setMember(e.target.value)} autoFocus />
        </label>
      </AddForm>
    </>
  )
}

export function ZsetEditor({ v, writable, apply, invalid }: EditorProps<'zset'>) {
  const [editing, setEditing] = useState<string | null>(null)
  const [member, setMember] = useState('')
  const [score, setScore] = useState('0')
  const enc = v.value_encoding
  const scored = (m: string, text: string): Promise<boolean> => {
    const n = parseScore(text)
    if (typeof n === 'string') {
      invalid(n)
      return Promise.resolve(false)
    }
    return apply(zsetAdd(m, n, enc))
  }
  return (
    <>
      <table className="grid compact elements">
        <thead>
          <tr>
            <th>Score</th>
            <th>Member</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {v.members.map((m, i) => (
            <tr key={`${i}:${m.member}`} data-member={m.member}>
              <td className="muted">
                {editing === m.member ? (
                  <InlineEditor
                    initial={m.score === null ? '' : String(m.score)}
                    multiline={false}
                    label={`Score of ${m.member}`}
                    onSave={(text) => scored(m.member, text)}
                    onCancel={() => setEditing(null)}
                  />
                ) : (
                  (m.score ?? '—')
                )}
              </td>
              <td className="mono">
                <Clip text={m.member} />
              </td>
              <RowActions writable={writable} onEdit={() => setEditing(m.member)} onDelete={() => apply(zsetRemove(m.member, enc))} />
            </tr>
          ))}
        </tbody>
      </table>
      <AddForm
        writable={writable}
        label="Add member"
        reset={() => {
          setMember('')
          setScore('0')
        }}
        onSubmit={() => scored(member, score)}
      >
        <label>
          Member <span className="muted">(an existing member gets the new score)</span>
          <input name="new-member" value={member} onChange={(e) => setMember(e.target.value)} autoFocus />
        </label>
        <label>
          Score
          <input name="new-score" type="number" step="any" value={score} onChange={(e) => setScore(e.target.value)} />
        </label>
      </AddForm>
    </>
  )
}

export function StreamEditor({
  v,
  writable,
  apply,
  invalid,
  append,
}: EditorProps<'stream'> & { append: (fields: Record<string, string>) => Promise<boolean> }) {
  const [rows, setRows] = useState([{ field: '', value: '' }])
  const setRow = (i: number, change: Partial<{ field: string; value: string }>) =>
    setRows((r) => r.map((row, j) => (j === i ? { ...row, ...change } : row)))
  return (
    <>
      <table className="grid compact elements">
        <thead>
          <tr>
            <th>Id</th>
            <th>Fields</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {v.entries.map((e) => (
            <tr key={e.id} data-entry={e.id}>
              <td className="mono muted">{e.id}</td>
              <td className="mono">
                {Object.entries(e.fields).map(([f, value]) => (
                  <div key={f}>
                    <strong>{f}</strong> <Clip text={value} />
                  </div>
                ))}
              </td>
              {/* Entries cannot change in Redis, only be deleted (XDEL). */}
              <RowActions writable={writable} onDelete={() => apply(streamRemove(e.id))} />
            </tr>
          ))}
        </tbody>
      </table>
      <AddForm
        writable={writable}
        label="Add entry"
        reset={() => setRows([{ field: '', value: '' }])}
        onSubmit={() => {
          const fields = fieldMap(rows)
          if (typeof fields === 'string') {
            invalid(fields)
            return Promise.resolve(false)
          }
          return append(fields)
        }}
      >
        <p className="muted small">The entry gets the next id (XADD *).</p>
        {rows.map((row, i) => (
          <div className="field-row" key={i}>
            <input
              name={`entry-field-${i}`}
              aria-label={`Field ${i + 1}`}
              placeholder="field"
              value={row.field}
              onChange={(e) => setRow(i, { field: e.target.value })}
            />
            <input
              name={`entry-value-${i}`}
              aria-label={`Value ${i + 1}`}
              placeholder="value"
              value={row.value}
              onChange={(e) => setRow(i, { value: e.target.value })}
            />
          </div>
        ))}
        <button type="button" className="link" onClick={() => setRows((r) => [...r, { field: '', value: '' }])}>
          + another field
        </button>
      </AddForm>
    </>
  )
}
