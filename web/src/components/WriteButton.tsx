// A button that changes data: disabled, with a tooltip saying why, for a role that may only read.
import type { ButtonHTMLAttributes } from 'react'

export const READ_ONLY_REASON = 'Your role on this project is viewer: you can read data but not change it.'

export function WriteButton({
  allowed,
  title,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { allowed: boolean }) {
  const button = <button type="button" {...rest} disabled={!allowed || rest.disabled} title={allowed ? title : READ_ONLY_REASON} />
  // A disabled button gets no hover events in some browsers; the wrapper carries the tooltip too.
  return allowed ? button : <span className="tooltip-host" title={READ_ONLY_REASON}>{button}</span>
}
