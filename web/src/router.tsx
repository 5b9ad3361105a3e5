// Client-side routing on react-router (its declarative `<BrowserRouter>`, the lighter of its
// modes, in `main.tsx`). The console's modules import `Link`, `navigate` and `useLocation` from here
// (not from react-router), so their signatures stay what they always were. Without a router (unit
// tests that render a page alone) the same three work on the History API directly.
import { useEffect, useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react'
import { Link as RouterLink, useInRouterContext, useLocation as useRouterLocation, useNavigate } from 'react-router'

type Go = (to: string, options: { replace?: boolean }) => void

let routed: Go | null = null

/** Lets `navigate` (callable from anywhere, e.g. the API client) go through the router: rendered once inside it. */
export function NavigationBridge(): null {
  const go = useNavigate()
  useEffect(() => {
    routed = (to, options) => void go(to, options)
    return () => {
      routed = null
    }
  }, [go])
  return null
}

const listeners = new Set<() => void>()

function notify(): void {
  for (const listener of listeners) listener()
}

window.addEventListener('popstate', notify)

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function snapshot(): string {
  return window.location.pathname + window.location.search
}

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return
  if (routed) {
    routed(to, options)
    return
  }
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  notify()
}

function useHistoryLocation(): string {
  return useSyncExternalStore(subscribe, snapshot)
}

function useRoutedLocation(): string {
  const location = useRouterLocation()
  return location.pathname + location.search
}

/** The current path and query, re-rendering on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  // Whether a router is around never changes during a component's life, so the hook order holds.
  const current = useInRouterContext() ? useRoutedLocation() : useHistoryLocation()
  return useMemo(() => {
    const url = new URL(current, window.location.origin)
    return { path: url.pathname, query: url.searchParams }
  }, [current])
}

/** An anchor that navigates on the client (a modified click still opens a new tab). */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const routed = useInRouterContext()
  if (routed) return <RouterLink to={href} onClick={onClick} {...rest} />
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
    event.preventDefault()
    navigate(href)
  }
  return <a href={href} onClick={click} {...rest} />
}
