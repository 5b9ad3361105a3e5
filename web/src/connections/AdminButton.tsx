// WriteButton's idea for connection management: the button is there for every member, so they see
// what exists, but only admins and owners can press it; others get a tooltip saying why. The rule is
// here rather than in form.ts so the project page does not carry the form's code.
import type { ButtonHTMLAttributes } from 'react'
import type { Role } from '../api'

/** Only admins and owners may add, change, delete or test-before-saving connections (the API's rule). */
export function canManageConnections(role: Role | undefined): boolean {
  return role === 'admin' || role === 'owner'
}

export function adminOnlyReason(role: Role | undefined): string {
  return role
    ? `Only admins and owners manage connections; your role on this project is ${role}.`
    : 'Checking your role on this project…'
}

export function AdminButton({
  role,
  title,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { role: Role | undefined }) {
  const allowed = canManageConnections(role)
  const reason = adminOnlyReason(role)
  const button = <button type="button" {...rest} disabled={!allowed || rest.disabled} title={allowed ? title : reason} />
  // A disabled button gets no hover events in some browsers; the wrapper carries the tooltip too.
  return allowed ? button : <span className="tooltip-host" title={reason}>{button}</span>
}
