import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { redis, type KeyValue } from '../api'
import { STRING_STEP, ValueViewer } from './ValueViewer'

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

function stringKey(value: string, length: number): KeyValue {
  return {
    key: 'big',
    key_encoding: 'utf8',
    type: 'string',
    ttl: -1,
    size: length + 64,
    encoding: 'raw',
    value_encoding: 'utf8',
    length,
    value,
    truncated: value.length < length,
  }
}

function show(v: KeyValue) {
  const read = vi.spyOn(redis, 'read').mockResolvedValue(v)
  render(<ValueViewer projectRef="p" name={{ key: 'big', key_encoding: 'utf8' }} writable onClose={() => {}} onTtlChange={() => {}} />)
  return read
}

const drawn = () => document.querySelector('pre.value')?.textContent?.length ?? 0

describe('ValueViewer, strings', () => {
  it('draws a long string a step at a time, and lets a whole one be edited', async () => {
    show(stringKey('x'.repeat(STRING_STEP * 3), STRING_STEP * 3))
    await screen.findByText(/Showing the first 64 KiB of 192 KiB\./)
    expect(drawn()).toBe(STRING_STEP)
    fireEvent.click(screen.getByRole('button', { name: 'Show more' }))
    expect(drawn()).toBe(STRING_STEP * 3)
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull()
    expect(screen.queryByText(/Showing the first/)).toBeNull()
    expect((screen.getByRole('button', { name: 'Edit value' }) as HTMLButtonElement).disabled).toBe(false)
  })

  it('never draws more than the server sent of a big string, and downloads it whole', async () => {
    const preview = 'y'.repeat(1024 * 1024)
    const read = show(stringKey(preview, 50 * 1024 * 1024))
    await screen.findByText(/Showing the first 64 KiB of 50 MiB: the whole value is too big to show here\./)
    // 64 KiB, 256 KiB, then the whole MiB the server sent.
    for (let i = 0; i < 2; i++) fireEvent.click(screen.getByRole('button', { name: 'Show more' }))
    expect(drawn()).toBe(preview.length)
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull()
    expect((screen.getByRole('button', { name: 'Edit value' }) as HTMLButtonElement).disabled).toBe(true)

    read.mockResolvedValue(stringKey('z'.repeat(1000), 1000))
    const createObjectURL = vi.fn(() => 'blob:whole')
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() })
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
    fireEvent.click(screen.getByRole('button', { name: /Download whole value/ }))
    await vi.waitFor(() => expect(click).toHaveBeenCalled())
    expect(read).toHaveBeenLastCalledWith('p', { key: 'big', key_encoding: 'utf8' }, { full: true }, undefined)
    expect(createObjectURL).toHaveBeenCalledWith(expect.any(Blob))
    expect(drawn()).toBe(preview.length)
  })
})
