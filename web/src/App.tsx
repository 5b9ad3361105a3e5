// The frame around every signed-in page and the page each route (engines/routes.ts) opens. The
// sign-in page and the project pages are in the first bundle; each engine's area (engines/registry.ts)
// is a chunk of its own, fetched the first time one of its pages opens (React.lazy), so signing in
// does not wait for the SQL editor.
import { lazy, Suspense, useEffect, type ReactNode } from 'react'
import { useQuery } from '@tanstack/react-query'
import { loadSession, onUnauthorized } from './api'
import { Link, navigate, useLocation } from './router'
import { queryClient } from './queryClient'
import { SESSION_KEY } from './team/session'
import { AccountMenu } from './team/AccountMenu'
import { ErrorMessage } from './components/ErrorMessage'
import { Loading } from './components/Loading'
import { SignIn } from './pages/SignIn'
import { ProjectPicker } from './pages/ProjectPicker'
import { ProjectHome } from './pages/ProjectHome'
import { NotFound } from './pages/NotFound'
import { ConnectionGate } from './connections/useConnectionHealth'
import { matchRoute, type TeamTab } from './engines/routes'

// The team pages (members, API tokens, audit trail, settings, users) share one chunk.
const MembersPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.MembersPage })))
const TokensPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.TokensPage })))
const AuditPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.AuditPage })))
const SettingsPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.SettingsPage })))
const UsersPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.UsersPage })))
// The project's Activity page (sessions across its databases) is a chunk of its own.
const ActivityPage = lazy(() => import('./ops/ActivityPage').then((m) => ({ default: m.ActivityPage })))
const TEAM_PAGES: Record<TeamTab, typeof MembersPage> = { members: MembersPage, tokens: TokensPage, audit: AuditPage, settings: SettingsPage }

function signInPath(): string {
  const here = window.location.pathname + window.location.search
  return here.startsWith('/sign-in') || here === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(here)}`
}

// The session ended (or was signed out elsewhere): sign in again, then come back to this very page
// (its drafts are in localStorage, which nothing here clears).
onUnauthorized(() => {
  queryClient.setQueryData(SESSION_KEY, null)
  navigate(signInPath(), { replace: true })
})

function Frame({ children, projectRef }: { children: ReactNode; projectRef?: string }) {
  return (
    <>
      <header className="topbar">
        <Link href="/" className="brand">
          Switchboard
        </Link>
        <nav>
          <AccountMenu projectRef={projectRef} />
        </nav>
      </header>
      <main>
        <Suspense fallback={<Loading />}>{children}</Suspense>
      </main>
    </>
  )
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to])
  return null
}

export function App() {
  const { path, query } = useLocation()
  if (path === '/sign-in') {
    const next = query.get('next')
    return <SignIn next={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} />
  }
  return <SignedIn path={path} query={query} />
}

/** Every page behind sign-in: waits for the server to say who is signed in (the session cookie). */
function SignedIn({ path, query }: { path: string; query: URLSearchParams }) {
  const session = useQuery({ queryKey: SESSION_KEY, queryFn: loadSession, staleTime: Infinity })
  if (session.isPending) return <Loading />
  if (session.error) return <ErrorMessage error={session.error} />
  if (!session.data) return <Redirect to={signInPath()} />

  const route = matchRoute(path)
  let page: ReactNode
  switch (route.page) {
    case 'projects':
      page = <ProjectPicker />
      break
    case 'users':
      page = <UsersPage />
      break
    case 'project':
      page = <ProjectHome projectRef={route.projectRef} />
      break
    case 'activity':
      page = <ActivityPage key={route.projectRef} projectRef={route.projectRef} />
      break
    case 'team': {
      const Tab = TEAM_PAGES[route.tab]
      page = <Tab key={route.projectRef} projectRef={route.projectRef} />
      break
    }
    case 'engine': {
      // Every engine page waits behind its connection's health: a failing connection shows why once.
      const { Area, name } = route.engine
      const connectionId = query.get('connection_id') ?? undefined
      page = (
        <ConnectionGate key={`${route.projectRef}/${name}/${connectionId ?? ''}`} projectRef={route.projectRef} engine={name} connectionId={connectionId}>
          <Area projectRef={route.projectRef} connectionId={connectionId} rest={route.rest} path={path} />
        </ConnectionGate>
      )
      break
    }
    case 'notFound':
      page = <NotFound path={path} />
      break
  }
  return <Frame projectRef={'projectRef' in route ? route.projectRef : undefined}>{page}</Frame>
}
