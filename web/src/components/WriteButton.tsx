// A button that changes data: disabled, with a tooltip saying why, for a role that may only read.
import type { ButtonHTMLAttributes } from 'react'

export const READ_ONLY_REASON = 'Your role on this project is viewer: you can read data but not change it.'
export const ADMIN_ONLY_REASON = 'Only admins and owners of this project change the schema.'

export function WriteButton({
  allowed,
  title,
  reason = READ_ONLY_REASON,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  allowed: boolean
  /** Why it is disabled when not allowed (the viewer's reason unless told). */
  reason?: string
}) {
  const button = <button type="button" {...rest} disabled={!allowed || rest.disabled} title={allowed ? title : reason} />
  // A disabled button gets no hover events in some browsers; the wrapper carries the tooltip too.
  return allowed ? button : <span className="tooltip-host" title={reason}>{button}</span>
}
