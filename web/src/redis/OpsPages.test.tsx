import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { AnalysisResult } from '../api'
import { AnalysisReport } from './OpsPages'

afterEach(cleanup)

const result: AnalysisResult = {
  keys: 3,
  memory: { estimated_total: 4096, sampled_keys: 3, sample_rate: 1, note: 'memory measured with MEMORY USAGE on 3 of 3 keys (rate 1), scaled up' },
  separator: ':',
  namespaces: [{ depth: 1, total: 2, namespaces: [{ name: 'user', keys: 2, memory: 3000 }, { name: 'cart', keys: 1, memory: 1096 }] }],
  types: { string: { keys: 2, memory: 3000 }, hash: { keys: 1, memory: 1096 } },
  ttl: { with_ttl: 1, without_ttl: 2, buckets: [{ label: 'under 1 hour', keys: 1 }] },
  biggest_by_memory: [
    { amount: 2000, key: 'user:1', key_encoding: 'utf8', type: 'string' },
    { amount: 5, key: '/w==', key_encoding: 'base64', type: 'string' },
  ],
  biggest_by_length: [{ amount: 12, key: 'cart:9', key_encoding: 'utf8', type: 'hash' }],
  nodes: 1,
}

describe('AnalysisReport', () => {
  it('shows namespaces with the separator, the type mix and the TTL buckets', () => {
    render(<AnalysisReport result={result} projectRef="default" />)
    const namespaces = screen.getByRole('group', { name: 'Namespaces' }).textContent ?? ''
    expect(namespaces.indexOf('user:*')).toBeLessThan(namespaces.indexOf('cart:*'))
    expect(screen.getByRole('group', { name: 'Types' }).textContent).toContain('1 key')
    expect(screen.getByRole('group', { name: 'TTL histogram' }).textContent).toContain('no expiry')
  })

  it('links the biggest keys to the key browser, binary names as base64', () => {
    render(<AnalysisReport result={result} projectRef="default" connectionId="c 1" />)
    expect(screen.getByRole('link', { name: 'user:1' }).getAttribute('href')).toBe(
      '/project/default/databases/redis?connection_id=c%201&key=user%3A1',
    )
    expect(screen.getByRole('link', { name: 'base64:/w==' }).getAttribute('href')).toBe(
      '/project/default/databases/redis?connection_id=c%201&key=%2Fw%3D%3D&key_encoding=base64',
    )
    expect(screen.getByRole('link', { name: 'cart:9' })).toBeTruthy()
  })
})
