// "New Key": a key with a first value of any type, and an optional TTL. Redis keeps no empty
// collections, so a hash, list, set, sorted set or stream starts with one element.
import { useState, type FormEvent } from 'react'
import type { KeyValue, NewKeyValue, RedisType } from '../api'
import { ErrorMessage } from '../components/ErrorMessage'

const TYPES: { type: RedisType; label: string }[] = [
  { type: 'string', label: 'String' },
  { type: 'hash', label: 'Hash' },
  { type: 'list', label: 'List' },
  { type: 'set', label: 'Set' },
  { type: 'zset', label: 'Sorted set' },
  { type: 'stream', label: 'Stream' },
]

interface Props {
  /** Sends the key to the server; rejects with an error to show. */
  create: (key: string, value: NewKeyValue, ttl: number | undefined) => Promise<KeyValue>
  onCreated: (created: KeyValue) => void
  onCancel: () => void
}

/** The value to send for the form's fields, or an error message. */
export function shapeValue(type: RedisType, value: string, field: string, score: string): NewKeyValue | string {
  switch (type) {
    case 'string':
      return { type, value }
    case 'hash':
    case 'stream':
      if (!field) return 'Give the first field a name.'
      return { type, value: { [field]: value } }
    case 'list':
    case 'set':
      return { type, value: [value] }
    case 'zset': {
      const n = Number(score)
      if (score.trim() === '' || !Number.isFinite(n)) return 'A score is a number.'
      return { type, value: [{ member: value, score: n }] }
    }
  }
}

export function NewKeyDialog({ create, onCreated, onCancel }: Props) {
  const [key, setKey] = useState('')
  const [type, setType] = useState<RedisType>('string')
  const [value, setValue] = useState('')
  const [field, setField] = useState('')
  const [score, setScore] = useState('0')
  const [ttl, setTtl] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    if (!key) {
      setError(new Error('A key needs a name.'))
      return
    }
    const shaped = shapeValue(type, value, field, score)
    if (typeof shaped === 'string') {
      setError(new Error(shaped))
      return
    }
    let seconds: number | undefined
    if (ttl.trim() !== '') {
      seconds = Number(ttl)
      if (!Number.isInteger(seconds) || seconds <= 0) {
        setError(new Error('A TTL is a whole number of seconds above zero, or empty for none.'))
        return
      }
    }
    setBusy(true)
    try {
      onCreated(await create(key, shaped, seconds))
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  const needsField = type === 'hash' || type === 'stream'
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form className="dialog card" role="dialog" noValidate aria-modal="true" aria-labelledby="new-key-title" onSubmit={submit}>
        <h2 id="new-key-title">New key</h2>
        <label>
          Key
          <input name="key" value={key} onChange={(e) => setKey(e.target.value)} autoFocus placeholder="user:42" />
        </label>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => setType(e.target.value as RedisType)}>
            {TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        {needsField && (
          <label>
            {type === 'hash' ? 'First field' : 'Entry field'}
            <input name="field" value={field} onChange={(e) => setField(e.target.value)} />
          </label>
        )}
        <label>
          {type === 'string' ? 'Value' : type === 'zset' ? 'First member' : needsField ? 'Field value' : 'First element'}
          <input name="value" value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        {type === 'zset' && (
          <label>
            Score
            <input name="score" type="number" step="any" value={score} onChange={(e) => setScore(e.target.value)} />
          </label>
        )}
        <label>
          TTL in seconds <span className="muted">(empty: no expiry)</span>
          <input name="ttl" type="number" min={1} value={ttl} onChange={(e) => setTtl(e.target.value)} />
        </label>
        <ErrorMessage error={error} />
        <div className="buttons">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </div>
  )
}
