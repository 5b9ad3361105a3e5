// The top bar's account menu: who is signed in, their role in the project on screen, and signing
// out (this session, or every session and token of the user).
import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { endSession, loadSession, projects, signOutEverywhere } from '../api'
import { Link, navigate } from '../router'
import { queryClient } from '../queryClient'
import { SESSION_KEY } from './session'

export function AccountMenu({ projectRef }: { projectRef?: string }) {
  const session = useQuery({ queryKey: SESSION_KEY, queryFn: loadSession, staleTime: Infinity })
  const project = useQuery({
    queryKey: ['project', projectRef],
    queryFn: () => projects.get(projectRef ?? ''),
    enabled: projectRef !== undefined,
  })
  const [busy, setBusy] = useState(false)
  const user = session.data?.user
  if (!user) return null
  const leave = async (everywhere: boolean) => {
    setBusy(true)
    try {
      await (everywhere ? signOutEverywhere() : endSession())
    } catch {
      // Signed out or not, this page forgets the session and shows the sign-in form.
    }
    queryClient.clear()
    navigate('/sign-in')
  }
  return (
    <div className="account">
      <span className="whoami" data-testid="whoami">
        {user.email}
        {user.is_superuser && <span className="badge">superuser</span>}
      </span>
      {projectRef && project.data && (
        <span className="badge" data-testid="project-role" title={`Your role in ${project.data.name}`}>
          {project.data.role}
        </span>
      )}
      <button type="button" className="link" disabled={busy} onClick={() => void leave(false)}>
        Sign out
      </button>
      <details className="menu">
        <summary>Account</summary>
        {/* A choice closes the menu (the page behind it changes). */}
        <div className="menu-items" onClick={(e) => e.currentTarget.closest('details')?.removeAttribute('open')}>
          {user.is_superuser && <Link href="/users">Users</Link>}
          <button type="button" className="link" disabled={busy} onClick={() => void leave(true)}>
            Sign out everywhere
          </button>
        </div>
      </details>
    </div>
  )
}
