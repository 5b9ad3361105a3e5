import { cleanup, render, renderHook, act } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Reply } from './CommandLinePage'
import { useCountdown } from './ValueViewer'

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

describe('command line replies', () => {
  it('are drawn by type', () => {
    const { container } = render(
      <Reply value={[null, 7, 'text', { base64: '/w==' }, { error: 'WRONGTYPE' }, [], { field: 'v' }]} />,
    )
    expect(container.querySelector('.reply-nil')?.textContent).toBe('(nil)')
    expect(container.querySelector('.reply-int')?.textContent).toBe('(integer) 7')
    expect(container.textContent).toContain('"text"')
    expect(container.textContent).toContain('(binary, base64) /w==')
    expect(container.querySelector('.reply-error')?.textContent).toBe('(error) WRONGTYPE')
    expect(container.textContent).toContain('(empty array)')
    expect(container.querySelector('.reply-map dt')?.textContent).toBe('field')
  })
})

describe('TTL countdown', () => {
  it('ticks locally and asks for a re-read at zero', () => {
    vi.useFakeTimers()
    const expired = vi.fn()
    const { result } = renderHook(() => useCountdown(3, expired))
    expect(result.current).toBe(3)
    act(() => vi.advanceTimersByTime(1000))
    expect(result.current).toBe(2)
    act(() => vi.advanceTimersByTime(2000))
    expect(result.current).toBe(0)
    expect(expired).toHaveBeenCalledTimes(1)
  })

  it('does not tick without an expiry', () => {
    vi.useFakeTimers()
    const expired = vi.fn()
    const { result } = renderHook(() => useCountdown(-1, expired))
    act(() => vi.advanceTimersByTime(5000))
    expect(result.current).toBe(-1)
    expect(expired).not.toHaveBeenCalled()
  })
})
