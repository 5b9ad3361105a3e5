// Sign-in with e-mail and password (POST /api/auth/session: an HttpOnly session cookie). After it,
// the user lands on `next`, the page they were on when the session ended.
import { useState, type FormEvent } from 'react'
import { signIn } from '../api'
import { navigate } from '../router'
import { queryClient } from '../queryClient'
import { SESSION_KEY } from '../team/session'
import { ErrorMessage } from '../components/ErrorMessage'

export function SignIn({ next }: { next: string }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const session = await signIn(email, password)
      // Whatever was loaded for a previous user is not this one's.
      queryClient.clear()
      queryClient.setQueryData(SESSION_KEY, session)
      navigate(next, { replace: true })
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={submit} className="card">
        <h1>Switchboard</h1>
        <p className="muted">Sign in to manage your project's databases.</p>
        <label>
          E-mail
          <input name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
