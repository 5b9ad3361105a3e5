import { describe, expect, it } from 'vitest'
import type { KeySummary } from '../api'
import { branchPattern, buildTree, flatten } from './tree'

const key = (k: string): KeySummary => ({ key: k, key_encoding: 'utf8', type: 'string', ttl: -1, size: null })

describe('key tree', () => {
  const keys = ['user:1:name', 'user:1:email', 'user:2:name', 'session:a', 'plain'].map(key)

  it('counts keys per branch', () => {
    const root = buildTree(keys, ':')
    expect(root.count).toBe(5)
    expect(root.branches.get('user')?.count).toBe(3)
    expect(root.branches.get('user')?.branches.get('1')?.count).toBe(2)
    expect(root.branches.get('session')?.count).toBe(1)
  })

  it('flattens only expanded branches, branches first', () => {
    const root = buildTree(keys, ':')
    const closed = flatten(root, new Set(), ':')
    expect(closed.map((r) => (r.kind === 'branch' ? r.branch.prefix : r.key.key))).toEqual(['session:', 'user:', 'plain'])
    const open = flatten(root, new Set(['user:', 'user:1:']), ':')
    expect(open.map((r) => (r.kind === 'branch' ? r.branch.prefix : r.label))).toEqual([
      'session:',
      'user:',
      'user:1:',
      'name',
      'email',
      'user:2:',
      'plain',
    ])
  })

  it('is flat without a separator', () => {
    expect(buildTree(keys, '').branches.size).toBe(0)
  })

  it('escapes glob characters of a branch', () => {
    expect(branchPattern('user:')).toBe('user:*')
    expect(branchPattern('a[1]*:')).toBe('a\\[1\\]\\*:*')
  })
})
