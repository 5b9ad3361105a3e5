// The project's saved SQL snippets: shared ones and the user's private ones. Open one in a new tab,
// save the current tab as one, delete one's own.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { snippets, type Snippet, type SnippetEngine, type SnippetVisibility } from '../../api'
import { ConfirmDelete } from '../../components/ConfirmAction'
import { ErrorMessage } from '../../components/ErrorMessage'
import { READ_ONLY_REASON, WriteButton } from '../../components/WriteButton'

interface Props {
  projectRef: string
  /** The engine whose snippets are listed and saved. */
  engine: SnippetEngine
  userId: string | null
  writable: boolean
  /** The current tab, to save. */
  current: { title: string; sql: string }
  onOpen: (snippet: Snippet) => void
}

export function SnippetsPanel({ projectRef, engine, userId, writable, current, onOpen }: Props) {
  const client = useQueryClient()
  const key = ['snippets', projectRef, engine]
  const list = useQuery({ queryKey: key, queryFn: () => snippets.list(projectRef, engine) })
  const [saving, setSaving] = useState(false)
  const [name, setName] = useState('')
  const [visibility, setVisibility] = useState<SnippetVisibility>('project')
  const save = useMutation({
    mutationFn: () => snippets.create(projectRef, { name: name.trim(), engine, content: current.sql, visibility }),
    onSuccess: () => {
      setSaving(false)
      void client.invalidateQueries({ queryKey: key })
    },
  })
  const remove = (id: string) => snippets.remove(projectRef, id).then(() => client.invalidateQueries({ queryKey: key }))

  return (
    <div className="snippets-panel" aria-label="Snippets">
      <div className="toolbar">
        <WriteButton
          allowed={writable}
          reason={READ_ONLY_REASON}
          className="small"
          disabled={!current.sql.trim()}
          onClick={() => {
            setName(current.title)
            setSaving(true)
            save.reset()
          }}
        >
          Save tab as snippet
        </WriteButton>
        <button type="button" className="link small" onClick={() => void list.refetch()}>
          Refresh
        </button>
      </div>
      {saving && (
        <form
          className="snippet-save"
          onSubmit={(e) => {
            e.preventDefault()
            if (name.trim()) save.mutate()
          }}
        >
          <label className="small">
            Name
            <input aria-label="Snippet name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          </label>
          <label className="small">
            Shared with
            <select aria-label="Snippet visibility" value={visibility} onChange={(e) => setVisibility(e.target.value as SnippetVisibility)}>
              <option value="project">the project's members</option>
              <option value="private">only me</option>
            </select>
          </label>
          <ErrorMessage error={save.error} />
          <div className="buttons">
            <button type="submit" className="primary small" disabled={!name.trim() || save.isPending}>
              {save.isPending ? 'Saving…' : 'Save snippet'}
            </button>
            <button type="button" className="small" onClick={() => setSaving(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ErrorMessage error={list.error} />
      {list.isPending && <p className="muted small">Loading…</p>}
      {list.data && list.data.length === 0 && <p className="muted small">No snippets yet.</p>}
      <ul className="snippet-list">
        {(list.data ?? []).map((s) => (
          <li key={s.id} data-snippet={s.name}>
            <button type="button" className="link mono relation-name" title={s.content.slice(0, 500)} onClick={() => onOpen(s)}>
              {s.name}
            </button>
            <span className="muted small" title={`Saved by ${s.owner.email}`}>
              {s.visibility === 'private' ? 'private' : s.owner.id === userId ? 'shared by you' : s.owner.email}
            </span>
            {s.owner.id === userId && <ConfirmDelete writable={writable} onDelete={() => remove(s.id)} />}
          </li>
        ))}
      </ul>
    </div>
  )
}
