// The query tabs of one user on one connection, saved to localStorage on every change.
import { useEffect, useState } from 'react'
import { closeTab, loadTabs, newTab, saveTabs, type TabsState } from './drafts'

/** `key` is null while the connection is not known yet: nothing is loaded or saved then. */
export function useSqlTabs(key: string | null) {
  const [state, setState] = useState<TabsState>(() => (key ? loadTabs(key) : loadTabs('')))
  const [loadedKey, setLoadedKey] = useState(key)
  // Another user or connection: its own tabs.
  if (loadedKey !== key) {
    setLoadedKey(key)
    setState(loadTabs(key ?? ''))
  }
  useEffect(() => {
    if (key) saveTabs(key, state)
  }, [key, state])
  const active = state.tabs.find((t) => t.id === state.active) ?? state.tabs[0]!
  return {
    tabs: state.tabs,
    active,
    select: (id: string) => setState((s) => ({ ...s, active: id })),
    /** Opens a new tab (with text, e.g. a table's SELECT or a snippet) and shows it. */
    open: (sql = '', title?: string) =>
      setState((s) => {
        const tab = newTab(sql, title, s.tabs)
        return { tabs: [...s.tabs, tab], active: tab.id }
      }),
    close: (id: string) => setState((s) => closeTab(s, id)),
    rename: (id: string, title: string) =>
      setState((s) => ({ ...s, tabs: s.tabs.map((t) => (t.id === id && title.trim() ? { ...t, title: title.trim() } : t)) })),
    setSql: (id: string, sql: string) => setState((s) => ({ ...s, tabs: s.tabs.map((t) => (t.id === id ? { ...t, sql } : t)) })),
  }
}
