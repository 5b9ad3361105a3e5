// The team pages of a project (members, API tokens, audit trail, settings) and the superusers'
// users page: one lazily loaded chunk. Data comes through TanStack Query; every control follows
// what the API enforces for the caller's role, and says why when it is not theirs to use.
import { useState, type FormEvent, type ReactNode } from 'react'
import { useMutation, useQuery } from '@tanstack/react-query'
import {
  loadSession,
  projects,
  roleAtLeast,
  team,
  type AuditFilters,
  type Member,
  type NewApiToken,
  type Role,
} from '../api'
import { Link, navigate } from '../router'
import { queryClient } from '../queryClient'
import { ErrorMessage } from '../components/ErrorMessage'
import { TwoStepConfirm, TypedConfirm } from '../components/ConfirmAction'
import { WriteButton } from '../components/WriteButton'
import { SESSION_KEY } from './session'
import { TeamLinks } from './TeamLinks'

const ADMIN_REASON = 'Only admins and owners of this project manage its members.'
const GRANTABLE: Role[] = ['viewer', 'developer', 'admin']

function useProject(projectRef: string) {
  return useQuery({ queryKey: ['project', projectRef], queryFn: () => projects.get(projectRef) })
}

function useMembers(projectRef: string) {
  return useQuery({ queryKey: ['members', projectRef], queryFn: () => team.members(projectRef) })
}

function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: loadSession, staleTime: Infinity })
}

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—'
}

/** The project's crumbs and tabs above each team page. */
function TeamFrame({ projectRef, tab, children }: { projectRef: string; tab: string; children: ReactNode }) {
  const project = useProject(projectRef)
  return (
    <section className="team">
      <p className="crumbs">
        <Link href="/">Projects</Link> /{' '}
        <Link href={`/project/${encodeURIComponent(projectRef)}`}>{project.data?.name ?? projectRef}</Link>
      </p>
      <TeamLinks projectRef={projectRef} current={tab} />
      <ErrorMessage error={project.error} />
      {children}
    </section>
  )
}

// ---- Members -----------------------------------------------------------------------------------

export function MembersPage({ projectRef }: { projectRef: string }) {
  const project = useProject(projectRef)
  const members = useMembers(projectRef)
  const admin = roleAtLeast(project.data?.role, 'admin')
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<Role>('developer')
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['members', projectRef] })
  const put = useMutation({
    mutationFn: (m: { email: string; role: Role }) => team.putMember(projectRef, m.email, m.role),
    onSuccess: refresh,
  })
  const remove = useMutation({ mutationFn: (userId: string) => team.removeMember(projectRef, userId), onSuccess: refresh })
  const add = (event: FormEvent) => {
    event.preventDefault()
    put.mutate({ email, role }, { onSuccess: () => setEmail('') })
  }
  return (
    <TeamFrame projectRef={projectRef} tab="members">
      <h1>Members</h1>
      <ErrorMessage error={members.error ?? put.error ?? remove.error} />
      {admin ? (
        <form className="inline-form" onSubmit={add} aria-label="Add a member">
          <input
            name="member-email"
            type="email"
            required
            placeholder="colleague@example.com"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <RoleSelect name="member-role" value={role} options={GRANTABLE} onChange={setRole} />
          <button type="submit" className="primary" disabled={put.isPending}>
            Add member
          </button>
        </form>
      ) : (
        project.data && <p className="muted">{ADMIN_REASON} You are {project.data.role}.</p>
      )}
      {members.isPending && <p className="muted">Loading members…</p>}
      {members.data && (
        <table className="grid" data-testid="members">
          <thead>
            <tr>
              <th>E-mail</th>
              <th>Role</th>
              <th>Since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <MemberRow
                key={m.user_id}
                member={m}
                admin={admin}
                onRole={(r) => put.mutate({ email: m.email, role: r })}
                onRemove={() => remove.mutateAsync(m.user_id)}
              />
            ))}
          </tbody>
        </table>
      )}
    </TeamFrame>
  )
}

function MemberRow({
  member,
  admin,
  onRole,
  onRemove,
}: {
  member: Member
  admin: boolean
  onRole: (role: Role) => void
  onRemove: () => Promise<unknown>
}) {
  const owner = member.role === 'owner'
  return (
    <tr data-member={member.email}>
      <td>{member.email}</td>
      <td>
        {owner || !admin ? (
          <span className="badge" title={owner ? 'Owns the organization: cannot be changed or removed here' : undefined}>
            {member.role}
          </span>
        ) : (
          <RoleSelect name="role" value={member.role} options={GRANTABLE} onChange={onRole} />
        )}
      </td>
      <td className="muted">{when(member.created_at)}</td>
      <td>
        {!owner && (
          <TwoStepConfirm
            confirmLabel="Remove"
            onConfirm={onRemove}
            trigger={(ask) => (
              <WriteButton allowed={admin} reason={ADMIN_REASON} className="danger-outline" onClick={ask}>
                Remove
              </WriteButton>
            )}
          />
        )}
      </td>
    </tr>
  )
}

function RoleSelect({
  name,
  value,
  options,
  onChange,
}: {
  name: string
  value: Role
  options: Role[]
  onChange: (role: Role) => void
}) {
  return (
    <select name={name} value={value} onChange={(e) => onChange(e.target.value as Role)}>
      {options.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  )
}

// ---- API tokens --------------------------------------------------------------------------------

const EXPIRIES: [string, string][] = [
  ['30', '30 days'],
  ['7', '7 days'],
  ['90', '90 days'],
  ['365', '1 year'],
  ['', 'never'],
]

export function TokensPage({ projectRef }: { projectRef: string }) {
  const project = useProject(projectRef)
  const session = useSession()
  const members = useMembers(projectRef)
  const tokens = useQuery({ queryKey: ['tokens', projectRef], queryFn: () => team.tokens(projectRef) })
  const myRole = project.data?.role
  const admin = roleAtLeast(myRole, 'admin')
  const grantable = GRANTABLE.filter((r) => roleAtLeast(myRole, r))
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('viewer')
  const [expiry, setExpiry] = useState('30')
  const [fresh, setFresh] = useState<NewApiToken | null>(null)
  const [copied, setCopied] = useState(false)
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['tokens', projectRef] })
  const create = useMutation({
    mutationFn: () =>
      team.createToken(projectRef, { name, role, expires_in_days: expiry ? Number(expiry) : undefined }),
    onSuccess: (token) => {
      setFresh(token)
      setCopied(false)
      setName('')
      void refresh()
    },
  })
  const revoke = useMutation({ mutationFn: (id: string) => team.revokeToken(projectRef, id), onSuccess: refresh })
  const emails = new Map((members.data ?? []).map((m) => [m.user_id, m.email]))
  const me = session.data?.user.id
  const submit = (event: FormEvent) => {
    event.preventDefault()
    create.mutate()
  }
  const copy = async () => {
    if (!fresh) return
    try {
      await navigator.clipboard.writeText(fresh.secret)
      setCopied(true)
    } catch {
      setCopied(false)
    }
  }
  return (
    <TeamFrame projectRef={projectRef} tab="tokens">
      <h1>API tokens</h1>
      <p className="muted">
        A token acts on this project only, with at most the role you give it (never more than yours), as a{' '}
        <code>Authorization: Bearer</code> header. {admin ? '' : 'You see the tokens you created; admins see them all.'}
      </p>
      <ErrorMessage error={tokens.error ?? create.error ?? revoke.error} />
      <form className="inline-form" onSubmit={submit} aria-label="Create a token">
        <input name="token-name" required maxLength={100} placeholder="Token name, e.g. ci-deploy" value={name} onChange={(e) => setName(e.target.value)} />
        <RoleSelect name="token-role" value={role} options={grantable} onChange={setRole} />
        <select name="token-expiry" value={expiry} onChange={(e) => setExpiry(e.target.value)} aria-label="Expires in">
          {EXPIRIES.map(([days, label]) => (
            <option key={days} value={days}>
              expires: {label}
            </option>
          ))}
        </select>
        <button type="submit" className="primary" disabled={create.isPending || !project.data}>
          Create token
        </button>
      </form>
      {fresh && (
        <div className="secret-once" role="status" data-testid="new-token">
          <p>
            <strong>{fresh.name}</strong>: copy this token now. It is not stored and will not be shown again.
          </p>
          <code className="mono" data-testid="token-secret">
            {fresh.secret}
          </code>{' '}
          <button type="button" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy'}
          </button>{' '}
          <button type="button" className="link" onClick={() => setFresh(null)}>
            Done
          </button>
        </div>
      )}
      {tokens.data && tokens.data.length === 0 && <p className="empty">No tokens yet.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <table className="grid" data-testid="tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Role</th>
              <th>Created by</th>
              <th>Created</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id} data-token={t.name}>
                <td>{t.name}</td>
                <td className="mono muted">{t.prefix}…</td>
                <td>
                  <span className="badge">{t.role}</span>
                </td>
                <td>{emails.get(t.created_by) ?? t.created_by}</td>
                <td className="muted">{when(t.created_at)}</td>
                <td className="muted">{t.expires_at ? when(t.expires_at) : 'never'}</td>
                <td>
                  <TwoStepConfirm
                    confirmLabel="Revoke"
                    onConfirm={() => revoke.mutateAsync(t.id)}
                    trigger={(ask) => (
                      <WriteButton
                        allowed={admin || t.created_by === me}
                        reason="Only its creator or an admin revokes a token."
                        className="danger-outline"
                        onClick={ask}
                      >
                        Revoke
                      </WriteButton>
                    )}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </TeamFrame>
  )
}

// ---- Audit trail -------------------------------------------------------------------------------

const OUTCOMES = ['', 'ok', 'denied', 'error', 'unknown', 'pending']
const PAGE_SIZE = 50

/** A `datetime-local` value as RFC 3339 (in the browser's time zone), or nothing. */
function rfc3339(local: string): string | undefined {
  if (!local) return undefined
  const at = new Date(local)
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString()
}

export function AuditPage({ projectRef }: { projectRef: string }) {
  const project = useProject(projectRef)
  const members = useMembers(projectRef)
  const admin = roleAtLeast(project.data?.role, 'admin')
  const [form, setForm] = useState({ user_id: '', action: '', target: '', outcome: '', since: '', until: '' })
  const [applied, setApplied] = useState<AuditFilters>({})
  // The cursors of the pages before this one, to go back to newer records.
  const [cursors, setCursors] = useState<(number | undefined)[]>([])
  const [before, setBefore] = useState<number | undefined>(undefined)
  const filters: AuditFilters = { ...applied, before, limit: PAGE_SIZE }
  const page = useQuery({
    queryKey: ['audit', projectRef, filters],
    queryFn: () => team.audit(projectRef, filters),
    enabled: admin,
  })
  const emails = new Map((members.data ?? []).map((m) => [m.user_id, m.email]))
  const apply = (event: FormEvent) => {
    event.preventDefault()
    setApplied({
      user_id: form.user_id || undefined,
      action: form.action || undefined,
      target: form.target || undefined,
      outcome: form.outcome || undefined,
      since: rfc3339(form.since),
      until: rfc3339(form.until),
    })
    setCursors([])
    setBefore(undefined)
  }
  const field = (name: keyof typeof form) => ({
    name: `audit-${name}`,
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
  })
  return (
    <TeamFrame projectRef={projectRef} tab="audit">
      <h1>Audit trail</h1>
      {project.data && !admin ? (
        <p className="empty">The audit trail is for admins and owners of this project. You are {project.data.role}.</p>
      ) : (
        <>
          <form className="inline-form filters" onSubmit={apply} aria-label="Filter the audit trail">
            <select {...field('user_id')} aria-label="Who">
              <option value="">anyone</option>
              {(members.data ?? []).map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.email}
                </option>
              ))}
            </select>
            <input {...field('action')} placeholder="action contains (e.g. DELETE, keys)" />
            <input {...field('target')} placeholder="target contains" />
            <select {...field('outcome')} aria-label="Outcome">
              {OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {o || 'any outcome'}
                </option>
              ))}
            </select>
            <label>
              from <input type="datetime-local" {...field('since')} />
            </label>
            <label>
              to <input type="datetime-local" {...field('until')} />
            </label>
            <button type="submit" className="primary">
              Filter
            </button>
            <a className="button" href={team.auditExportHref(projectRef, applied, 'csv')} download="audit.csv">
              Export CSV
            </a>
            <a className="button" href={team.auditExportHref(projectRef, applied, 'ndjson')} download="audit.ndjson">
              Export NDJSON
            </a>
          </form>
          <ErrorMessage error={page.error} />
          {page.isPending && admin && <p className="muted">Loading the audit trail…</p>}
          {page.data && page.data.entries.length === 0 && <p className="empty">No records match.</p>}
          {page.data && page.data.entries.length > 0 && (
            <table className="grid" data-testid="audit">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Who</th>
                  <th>What</th>
                  <th>Target</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                {page.data.entries.map((r) => (
                  <tr key={r.id} data-outcome={r.outcome}>
                    <td className="muted">{when(r.at)}</td>
                    <td>
                      {r.user_id ? (emails.get(r.user_id) ?? r.user_id) : 'anonymous'}
                      {r.token_id && <span className="badge" title={`API token ${r.token_id}`}>token</span>}
                    </td>
                    <td className="mono">{r.action}</td>
                    <td className="mono">{r.target ?? ''}</td>
                    <td>
                      <span className={`badge outcome-${r.outcome}`}>{r.outcome}</span>
                      {r.status !== null && <span className="muted"> {r.status}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="pager">
            <button
              type="button"
              disabled={cursors.length === 0}
              onClick={() => {
                setBefore(cursors[cursors.length - 1])
                setCursors(cursors.slice(0, -1))
              }}
            >
              ← Newer
            </button>{' '}
            <button
              type="button"
              disabled={!page.data?.next_before}
              onClick={() => {
                setCursors([...cursors, before])
                setBefore(page.data?.next_before ?? undefined)
              }}
            >
              Older →
            </button>
          </p>
        </>
      )}
    </TeamFrame>
  )
}

// ---- Settings ----------------------------------------------------------------------------------

export function SettingsPage({ projectRef }: { projectRef: string }) {
  const project = useProject(projectRef)
  const role = project.data?.role
  const [name, setName] = useState<string | null>(null)
  const [deleting, setDeleting] = useState(false)
  const databases = useQuery({ queryKey: ['databases', projectRef], queryFn: () => projects.databases(projectRef) })
  const members = useMembers(projectRef)
  const tokens = useQuery({
    queryKey: ['tokens', projectRef],
    queryFn: () => team.tokens(projectRef),
    enabled: roleAtLeast(role, 'owner'),
  })
  const rename = useMutation({
    mutationFn: (newName: string) => team.renameProject(projectRef, newName),
    onSuccess: () => {
      setName(null)
      void queryClient.invalidateQueries({ queryKey: ['project', projectRef] })
      void queryClient.invalidateQueries({ queryKey: ['projects'] })
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (name !== null) rename.mutate(name)
  }
  return (
    <TeamFrame projectRef={projectRef} tab="settings">
      <h1>Settings</h1>
      <ErrorMessage error={rename.error} />
      <form className="inline-form" onSubmit={submit} aria-label="Rename the project">
        <label>
          Name{' '}
          <input
            name="project-name"
            required
            maxLength={100}
            value={name ?? project.data?.name ?? ''}
            disabled={!roleAtLeast(role, 'admin')}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <WriteButton
          type="submit"
          allowed={roleAtLeast(role, 'admin')}
          reason="Only admins and owners rename the project."
          disabled={name === null || rename.isPending}
        >
          Rename
        </WriteButton>
      </form>
      <p className="muted">
        Ref: <code>{projectRef}</code>
      </p>
      <h2>Delete the project</h2>
      <p className="muted">Deleting removes its connections, members and API tokens. The databases themselves are not touched.</p>
      <WriteButton
        allowed={roleAtLeast(role, 'owner')}
        reason="Only owners of the organization delete its projects."
        className="danger"
        onClick={() => setDeleting(true)}
      >
        Delete project…
      </WriteButton>
      {deleting && project.data && (
        <TypedConfirm
          title={`Delete project ${project.data.name}`}
          name={project.data.ref}
          what="project ref"
          confirmLabel="Delete project"
          losses={[
            { label: 'database connections', count: databases.data?.length ?? null },
            { label: 'members', count: members.data?.filter((m) => m.role !== 'owner').length ?? null },
            { label: 'API tokens', count: tokens.data?.length ?? null },
          ]}
          onCancel={() => setDeleting(false)}
          onConfirm={async () => {
            await team.deleteProject(projectRef)
            queryClient.removeQueries({ queryKey: ['project', projectRef] })
            await queryClient.invalidateQueries({ queryKey: ['projects'] })
            navigate('/')
          }}
        />
      )}
    </TeamFrame>
  )
}

// ---- Users (superusers) ------------------------------------------------------------------------

export function UsersPage() {
  const session = useSession()
  const superuser = session.data?.user.is_superuser === true
  const users = useQuery({ queryKey: ['users'], queryFn: team.users, enabled: superuser })
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [isSuperuser, setIsSuperuser] = useState(false)
  const [resetting, setResetting] = useState<string | null>(null)
  const [newPassword, setNewPassword] = useState('')
  const [notice, setNotice] = useState<string | null>(null)
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['users'] })
  const create = useMutation({
    mutationFn: () => team.createUser(email, password, isSuperuser),
    onSuccess: (u) => {
      setEmail('')
      setPassword('')
      setIsSuperuser(false)
      setNotice(`Created ${u.email}.`)
      void refresh()
    },
  })
  const disable = useMutation({
    mutationFn: (v: { id: string; disabled: boolean }) => team.setUserDisabled(v.id, v.disabled),
    onSuccess: refresh,
  })
  const reset = useMutation({
    mutationFn: (v: { id: string; password: string }) => team.resetPassword(v.id, v.password),
    onSuccess: () => {
      setResetting(null)
      setNewPassword('')
      setNotice('Password set; that user’s sessions and tokens were signed out.')
    },
  })
  if (session.data && !superuser) {
    return (
      <section>
        <h1>Users</h1>
        <p className="empty">Only superusers manage users.</p>
      </section>
    )
  }
  return (
    <section className="team">
      <p className="crumbs">
        <Link href="/">Projects</Link> / Users
      </p>
      <h1>Users</h1>
      <ErrorMessage error={users.error ?? create.error ?? disable.error ?? reset.error} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form
        className="inline-form"
        aria-label="Create a user"
        onSubmit={(e) => {
          e.preventDefault()
          create.mutate()
        }}
      >
        <input name="user-email" type="email" required placeholder="e-mail" value={email} onChange={(e) => setEmail(e.target.value)} />
        <input
          name="user-password"
          type="password"
          required
          minLength={8}
          autoComplete="new-password"
          placeholder="password (8+ characters)"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <label>
          <input type="checkbox" name="user-superuser" checked={isSuperuser} onChange={(e) => setIsSuperuser(e.target.checked)} />{' '}
          superuser
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create user
        </button>
      </form>
      {users.data && (
        <table className="grid" data-testid="users">
          <thead>
            <tr>
              <th>E-mail</th>
              <th>Kind</th>
              <th>Status</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id} data-user={u.email}>
                <td>{u.email}</td>
                <td>{u.is_superuser ? <span className="badge">superuser</span> : 'user'}</td>
                <td>{u.disabled ? <span className="badge warning">disabled</span> : 'active'}</td>
                <td className="muted">{when(u.created_at)}</td>
                <td className="actions">
                  {u.id !== session.data?.user.id &&
                    (u.disabled ? (
                      <button type="button" onClick={() => disable.mutate({ id: u.id, disabled: false })}>
                        Enable
                      </button>
                    ) : (
                      <TwoStepConfirm
                        confirmLabel="Disable"
                        onConfirm={() => disable.mutateAsync({ id: u.id, disabled: true })}
                        trigger={(ask) => (
                          <button type="button" className="danger-outline" onClick={ask}>
                            Disable
                          </button>
                        )}
                      />
                    ))}{' '}
                  {resetting === u.id ? (
                    <form
                      className="inline-form"
                      aria-label={`New password for ${u.email}`}
                      onSubmit={(e) => {
                        e.preventDefault()
                        reset.mutate({ id: u.id, password: newPassword })
                      }}
                    >
                      <input
                        name="new-password"
                        type="password"
                        required
                        minLength={8}
                        autoComplete="new-password"
                        placeholder="new password"
                        value={newPassword}
                        onChange={(e) => setNewPassword(e.target.value)}
                      />
                      <button type="submit" className="primary" disabled={reset.isPending}>
                        Set password
                      </button>
                      <button type="button" onClick={() => setResetting(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <button type="button" onClick={() => setResetting(u.id)}>
                      Reset password
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
