// The routes of the console and the frame around every signed-in page. The sign-in page and the
// project pages are in the first bundle; each engine's pages are a chunk of their own, fetched the
// first time one of them opens (React.lazy), so signing in does not wait for the SQL editor.
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
import { EngineSoon } from './pages/EngineSoon'
import { ConnectionGate } from './connections/useConnectionHealth'

// The three Redis pages share one chunk (one import of ./redis/RedisPages).
const RedisBrowser = lazy(() => import('./redis/RedisPages').then((m) => ({ default: m.RedisBrowser })))
const PubSubPage = lazy(() => import('./redis/RedisPages').then((m) => ({ default: m.PubSubPage })))
const ServerPage = lazy(() => import('./redis/RedisPages').then((m) => ({ default: m.ServerPage })))
const CommandLinePage = lazy(() => import('./redis/RedisPages').then((m) => ({ default: m.CommandLinePage })))
const SlowlogPage = lazy(() => import('./redis/RedisPages').then((m) => ({ default: m.SlowlogPage })))
const ClientsPage = lazy(() => import('./redis/RedisPages').then((m) => ({ default: m.ClientsPage })))
const AnalysisPage = lazy(() => import('./redis/RedisPages').then((m) => ({ default: m.AnalysisPage })))
const REDIS_TABS = {
  pubsub: PubSubPage,
  server: ServerPage,
  cli: CommandLinePage,
  slowlog: SlowlogPage,
  clients: ClientsPage,
  analysis: AnalysisPage,
}
const PostgresPage = lazy(() => import('./postgres/PostgresPage').then((m) => ({ default: m.PostgresPage })))
// The Table Editor and the database's pages are chunks of their own: the SQL editor does not wait for them.
const TableEditorPage = lazy(() => import('./postgres/editor/TableEditorPage').then((m) => ({ default: m.TableEditorPage })))
const DatabasePage = lazy(() => import('./postgres/database/DatabasePage').then((m) => ({ default: m.DatabasePage })))
const PerformancePage = lazy(() => import('./postgres/PerformancePage').then((m) => ({ default: m.PerformancePage })))
const TypesPage = lazy(() => import('./postgres/database/TypesPage').then((m) => ({ default: m.TypesPage })))
const MongoPage = lazy(() => import('./mongodb/MongoPage').then((m) => ({ default: m.MongoPage })))
// The team pages (members, API tokens, audit trail, settings, users) share one chunk.
const MembersPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.MembersPage })))
const TokensPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.TokensPage })))
const AuditPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.AuditPage })))
const SettingsPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.SettingsPage })))
const UsersPage = lazy(() => import('./team/TeamPages').then((m) => ({ default: m.UsersPage })))
// The project's Activity page (sessions across its databases) is a chunk of its own.
const ActivityPage = lazy(() => import('./ops/ActivityPage').then((m) => ({ default: m.ActivityPage })))
const TEAM_TABS = { members: MembersPage, tokens: TokensPage, audit: AuditPage, settings: SettingsPage }

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

  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  const projectRef = parts[0] === 'project' ? parts[1] : undefined
  let page: ReactNode
  if (parts.length === 0) {
    page = <ProjectPicker />
  } else if (parts[0] === 'users' && parts.length === 1) {
    page = <UsersPage />
  } else if (parts[0] === 'project' && parts[1] && parts.length === 2) {
    page = <ProjectHome projectRef={parts[1]} />
  } else if (parts[0] === 'project' && parts[1] && parts.length === 3 && parts[2] === 'activity') {
    page = <ActivityPage key={parts[1]} projectRef={parts[1]} />
  } else if (parts[0] === 'project' && parts[1] && parts.length === 3 && parts[2]! in TEAM_TABS) {
    const Tab = TEAM_TABS[parts[2] as keyof typeof TEAM_TABS]
    page = <Tab key={parts[1]} projectRef={parts[1]} />
  } else if (
    parts[0] === 'project' && parts[1] && parts[2] === 'databases' && parts[3] === 'redis' && parts.length === 5 &&
    Object.hasOwn(REDIS_TABS, parts[4]!)
  ) {
    // The Redis tabs beside the key browser: Pub/Sub, Server, the command line and the operations tabs.
    const connectionId = query.get('connection_id') ?? undefined
    const Tab = REDIS_TABS[parts[4] as keyof typeof REDIS_TABS]
    page = <Tab key={`${parts[1]}/${connectionId ?? ''}`} projectRef={parts[1]} connectionId={connectionId} />
  } else if (
    parts[0] === 'project' && parts[1] && parts[2] === 'databases' && parts[3] === 'postgres' && parts.length === 5 &&
    (parts[4] === 'tables' || parts[4] === 'database' || parts[4] === 'types' || parts[4] === 'performance')
  ) {
    // The PostgreSQL tabs beside the SQL editor.
    const connectionId = query.get('connection_id') ?? undefined
    const Tab =
      parts[4] === 'tables' ? TableEditorPage : parts[4] === 'database' ? DatabasePage : parts[4] === 'performance' ? PerformancePage : TypesPage
    page = <Tab key={`${parts[1]}/${connectionId ?? ''}`} projectRef={parts[1]} connectionId={connectionId} />
  } else if (parts[0] === 'project' && parts[1] && parts[2] === 'databases' && parts[3] && parts.length === 4) {
    const connectionId = query.get('connection_id') ?? undefined
    page =
      parts[3] === 'redis' ? (
        <RedisBrowser key={`${parts[1]}/${connectionId ?? ''}`} projectRef={parts[1]} connectionId={connectionId} />
      ) : parts[3] === 'postgres' ? (
        <PostgresPage key={`${parts[1]}/${connectionId ?? ''}`} projectRef={parts[1]} connectionId={connectionId} />
      ) : parts[3] === 'mongodb' ? (
        <MongoPage key={`${parts[1]}/${connectionId ?? ''}`} projectRef={parts[1]} connectionId={connectionId} />
      ) : (
        <EngineSoon projectRef={parts[1]} engine={parts[3]} />
      )
  } else {
    page = (
      <section className="empty">
        <h1>Page not found</h1>
        <p>
          Nothing lives at <code>{path}</code>. <Link href="/">Go to your projects</Link>.
        </p>
      </section>
    )
  }
  // Every engine page waits behind its connection's health: a failing connection shows why once.
  const engine = parts[0] === 'project' && parts[1] && parts[2] === 'databases' ? parts[3] : undefined
  if (parts[1] && (engine === 'redis' || engine === 'postgres' || engine === 'mongodb')) {
    const connectionId = query.get('connection_id') ?? undefined
    page = (
      <ConnectionGate key={`${parts[1]}/${engine}/${connectionId ?? ''}`} projectRef={parts[1]} engine={engine} connectionId={connectionId}>
        {page}
      </ConnectionGate>
    )
  }
  return <Frame projectRef={projectRef}>{page}</Frame>
}
