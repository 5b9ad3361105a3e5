// Buttons that change data, for the two levels the MongoDB API asks for: developer (insert, update,
// delete, create) and admin (drop a collection or a database). A viewer sees the shared read-only
// tooltip; a developer facing an admin-only action is told that instead.
import type { ButtonHTMLAttributes } from 'react'
import { canWrite, type Role } from '../api'
import { TwoStepConfirm } from '../components/ConfirmAction'
import { WriteButton } from '../components/WriteButton'

export const ADMIN_REASON = 'Dropping needs the admin role on this project (yours is developer).'

/** Whether a role may drop collections and databases (admin and owner). */
export function canAdmin(role: Role | undefined): boolean {
  return role === 'admin' || role === 'owner'
}

export type Need = 'write' | 'admin'

export function RoleButton({
  need,
  role,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { need: Need; role: Role | undefined }) {
  if (need === 'write' || !canWrite(role)) return <WriteButton allowed={canWrite(role)} {...rest} />
  if (!canAdmin(role)) {
    return (
      <span className="tooltip-host" title={ADMIN_REASON}>
        <button type="button" {...rest} disabled title={ADMIN_REASON} />
      </span>
    )
  }
  return <button type="button" {...rest} />
}

/**
 * A destructive action in two clicks: the button, then "Confirm" (or "Cancel"). `onConfirm` reports
 * its own errors; the buttons come back either way.
 */
export function ConfirmAction({
  label,
  need,
  role,
  onConfirm,
  disabled,
  title,
  className = 'danger-outline',
}: {
  label: string
  need: Need
  role: Role | undefined
  onConfirm: () => Promise<void>
  disabled?: boolean
  title?: string
  className?: string
}) {
  return (
    <TwoStepConfirm
      onConfirm={onConfirm}
      trigger={(ask) => (
        <RoleButton need={need} role={role} className={className} disabled={disabled} title={title} onClick={ask}>
          {label}
        </RoleButton>
      )}
    />
  )
}
