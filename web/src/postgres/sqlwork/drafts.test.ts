import { beforeEach, describe, expect, it } from 'vitest'
import { addHistory, closeTab, commandTag, HISTORY_LIMIT, historyKey, isSchemaChange, loadHistory, loadTabs, newTab, saveTabs, tabsKey } from './drafts'

describe('SQL drafts', () => {
  beforeEach(() => localStorage.clear())

  it('keeps tabs per user and connection, and restores the active one', () => {
    const key = tabsKey('user-1', 'conn-1')
    const a = newTab('SELECT 1')
    const b = newTab('UPDATE t SET x = 1', 'fix')
    saveTabs(key, { tabs: [a, b], active: b.id })
    expect(loadTabs(key)).toEqual({ tabs: [a, b], active: b.id })
    // Another user, or another connection, starts with one empty tab.
    expect(loadTabs(tabsKey('user-2', 'conn-1')).tabs.map((t) => t.sql)).toEqual([''])
    expect(loadTabs(tabsKey('user-1', 'conn-2')).tabs).toHaveLength(1)
  })

  it('survives garbage in storage', () => {
    localStorage.setItem(tabsKey('u', 'c'), '{not json')
    expect(loadTabs(tabsKey('u', 'c')).tabs).toHaveLength(1)
    localStorage.setItem(tabsKey('u', 'c'), JSON.stringify({ tabs: [{ id: 1 }], active: 'x' }))
    expect(loadTabs(tabsKey('u', 'c')).tabs).toHaveLength(1)
  })

  it('closing a tab opens its neighbour, and closing the last leaves an empty one', () => {
    const [a, b, c] = [newTab('a'), newTab('b'), newTab('c')]
    expect(closeTab({ tabs: [a, b, c], active: b.id }, b.id)).toEqual({ tabs: [a, c], active: c.id })
    expect(closeTab({ tabs: [a, b], active: a.id }, b.id)).toEqual({ tabs: [a], active: a.id })
    const last = closeTab({ tabs: [a], active: a.id }, a.id)
    expect(last.tabs).toHaveLength(1)
    expect(last.tabs[0]!.sql).toBe('')
  })

  it('keeps a bounded history, newest first', () => {
    const key = historyKey('u', 'c')
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) addHistory(key, { sql: `SELECT ${i}`, at: i, ms: 1, outcome: 'ok', summary: 'SELECT 1' })
    const history = loadHistory(key)
    expect(history).toHaveLength(HISTORY_LIMIT)
    expect(history[0]!.sql).toBe(`SELECT ${HISTORY_LIMIT + 4}`)
  })

  it('prints the command tag like psql', () => {
    expect(commandTag('UPDATE', 1, 0)).toBe('UPDATE 1')
    expect(commandTag('SELECT', 3, 3)).toBe('SELECT 3')
    expect(commandTag('CREATE TABLE', 0, 0)).toBe('CREATE TABLE')
    expect(commandTag(null, null, 2)).toBe('2 rows')
    expect(isSchemaChange('CREATE TABLE')).toBe(true)
    expect(isSchemaChange('DROP INDEX')).toBe(true)
    expect(isSchemaChange('UPDATE')).toBe(false)
  })
})
