// Client-side routing on react-router. The console's modules import `Link`, `navigate` and
// `useLocation` from here (not from react-router), so their signatures stay what they always were.
// `main.tsx` builds the browser router and attaches it; until then (and in unit tests that render a
// page without a router) the same three work on the History API directly.
import { useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react'
import {
  Link as RouterLink,
  useInRouterContext,
  useLocation as useRouterLocation,
  type createBrowserRouter,
} from 'react-router'

type BrowserRouter = ReturnType<typeof createBrowserRouter>

let attached: BrowserRouter | null = null

/** Makes `navigate` go through `router` (called once, by `main.tsx`). */
export function attachRouter(router: BrowserRouter): void {
  attached = router
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
  if (attached) {
    void attached.navigate(to, { replace: options.replace })
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
